package awssim

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// amiIDPattern is the form of an EC2 image ID: ami- and 8 or 17 lower-case
// hex digits.
var amiIDPattern = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// catalogueImage is an image that the sandbox launches.
type catalogueImage struct {
	ID           string
	Name         string
	Architecture string
	// Parameter is the public Systems Manager parameter that resolves to
	// the image, as a resolve:ssm: image reference names it.
	Parameter string
}

// images are the Amazon Linux 2023 and Ubuntu 22.04 images of every
// sandbox region, one for each architecture, with the public parameters
// that the docs show. AWS gives the same image another ID in each region,
// and the sandbox uses one ID for all.
var images = []catalogueImage{
	{ID: "ami-0a1b2c3d4e5f60101", Name: "al2023-ami-sandbox-kernel-default-x86_64", Architecture: "x86_64",
		Parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
	{ID: "ami-0a1b2c3d4e5f60102", Name: "al2023-ami-sandbox-kernel-default-arm64", Architecture: "arm64",
		Parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"},
	{ID: "ami-0a1b2c3d4e5f60201", Name: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-sandbox", Architecture: "x86_64",
		Parameter: "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"},
	{ID: "ami-0a1b2c3d4e5f60202", Name: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-sandbox", Architecture: "arm64",
		Parameter: "/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id"},
}

// instanceTypes maps the instance types that the sandbox launches to their
// processor architectures.
var instanceTypes = map[string][]string{
	"t3.micro":  {"x86_64"},
	"t3.small":  {"x86_64"},
	"t3.medium": {"x86_64"},
	"m5.large":  {"x86_64"},
	"c5.large":  {"x86_64"},
	"t4g.micro": {"arm64"},
	"t4g.small": {"arm64"},
	"m6g.large": {"arm64"},
	"c7g.large": {"arm64"},
}

// findImage returns the catalogue image of an image ID or a resolve:ssm:
// reference, with EC2's InvalidAMIID codes for an ID that is malformed or
// not in the catalogue.
func findImage(ref string) (catalogueImage, error) {
	if parameter, ok := strings.CutPrefix(ref, "resolve:ssm:"); ok {
		for _, image := range images {
			if image.Parameter == parameter {
				return image, nil
			}
		}
		// NOTE: EC2's error code for an unknown parameter is a guess, not
		// checked against EC2.
		return catalogueImage{}, errorf(http.StatusBadRequest, "InvalidParameterValue",
			"Systems Manager parameter %s does not exist", parameter)
	}
	if !amiIDPattern.MatchString(ref) {
		return catalogueImage{}, errorf(http.StatusBadRequest, "InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", ref)
	}
	for _, image := range images {
		if image.ID == ref {
			return image, nil
		}
	}
	return catalogueImage{}, errorf(http.StatusBadRequest, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", ref)
}

// checkLaunch checks the image, instance type and security groups of a
// RunInstances call as EC2 does, including that the image is built for an
// architecture of the instance type and that each group is in the VPC of
// the subnet and the call's region. An empty instance type is not checked,
// nor a VPC that the world does not record. Callers hold s.mu.
func (s *Server) checkLaunch(region, imageRef, instanceType, subnetID string, groupIDs []string) error {
	image, err := findImage(imageRef)
	if err != nil {
		return err
	}
	if instanceType != "" {
		architectures, ok := instanceTypes[instanceType]
		if !ok {
			return errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid value '%s' for InstanceType.", instanceType)
		}
		// NOTE: the message is EC2's, and the code InvalidParameterValue
		// is not checked against EC2.
		if !slices.Contains(architectures, image.Architecture) {
			return errorf(http.StatusBadRequest, "InvalidParameterValue",
				"The architecture '%s' of the specified instance type does not match the architecture '%s' of the specified AMI.",
				strings.Join(architectures, ", "), image.Architecture)
		}
	}
	subnetVPC := s.world.SubnetVPCs[subnetID]
	for _, id := range groupIDs {
		group, err := s.securityGroup(region, id)
		if err != nil {
			return err
		}
		if subnetVPC != "" && group.VPCID != subnetVPC {
			return errorf(http.StatusBadRequest, "InvalidParameter",
				"Security group %s and subnet %s belong to different networks.", id, subnetID)
		}
	}
	return nil
}

type imageXML struct {
	ID           string `xml:"imageId"`
	Name         string `xml:"name"`
	Architecture string `xml:"architecture"`
	State        string `xml:"imageState"`
	OwnerAlias   string `xml:"imageOwnerAlias"`
}

// describeImages lists the catalogue images named by ImageId. Like EC2, it
// fails the whole call for an ID that is malformed or unknown. Without IDs
// it lists every catalogue image.
func describeImages(form url.Values) (any, error) {
	out := struct {
		Images []imageXML `xml:"imagesSet>item"`
	}{}
	ids := list(form, "ImageId")
	if len(ids) == 0 {
		for _, image := range images {
			ids = append(ids, image.ID)
		}
	}
	for _, id := range ids {
		if !amiIDPattern.MatchString(id) {
			return nil, errorf(http.StatusBadRequest, "InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", id)
		}
		image, err := findImage(id)
		if err != nil {
			return nil, err
		}
		out.Images = append(out.Images, imageXML{ID: image.ID, Name: image.Name, Architecture: image.Architecture,
			State: "available", OwnerAlias: "amazon"})
	}
	return out, nil
}

type instanceTypeXML struct {
	Name          string   `xml:"instanceType"`
	Architectures []string `xml:"processorInfo>supportedArchitectures>item"`
}

// describeInstanceTypes lists the catalogue instance types named by
// InstanceType, and fails with InvalidInstanceType for one that the
// catalogue does not have.
func describeInstanceTypes(form url.Values) (any, error) {
	out := struct {
		Types []instanceTypeXML `xml:"instanceTypeSet>item"`
	}{}
	names := list(form, "InstanceType")
	if len(names) == 0 {
		for name := range instanceTypes {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	var unknown []string
	for _, name := range names {
		architectures, ok := instanceTypes[name]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		out.Types = append(out.Types, instanceTypeXML{Name: name, Architectures: architectures})
	}
	if len(unknown) > 0 {
		return nil, errorf(http.StatusBadRequest, "InvalidInstanceType",
			"The following supplied instance types do not exist: [%s]", strings.Join(unknown, ", "))
	}
	return out, nil
}
