package request

import (
	"fmt"
	"regexp"
	"strings"
)

// amiIDPattern is the form of an EC2 image ID: ami- and 8 or 17 lower-case
// hex digits. EC2 rejects any other ID with InvalidAMIID.Malformed.
var amiIDPattern = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// ssmImagePrefix starts an image given as a Systems Manager parameter,
// which EC2 resolves to an image ID when it launches the instance.
const ssmImagePrefix = "resolve:ssm:"

// IsAMIID reports whether image has the form of an EC2 image ID.
func IsAMIID(image string) bool {
	return amiIDPattern.MatchString(image)
}

// ImageParameterName returns the Systems Manager parameter name, with any
// :<version> or :<label> selector, of an image given as resolve:ssm:<name>,
// and false for any other image.
func ImageParameterName(image string) (string, bool) {
	name, ok := strings.CutPrefix(image, ssmImagePrefix)
	return name, ok && name != ""
}

// PublicImageParameterPrefix starts the path of every AWS public
// parameter, such as the Amazon Linux image parameters. EC2 resolves a
// resolve:ssm: image with the caller's ssm:GetParameters right, and the
// CDK stack grants that right only on parameters under this path.
const PublicImageParameterPrefix = "/aws/service/"

// awsImageID checks the form of aws.image_id: an image ID or a
// resolve:ssm: reference to a public parameter under
// PublicImageParameterPrefix. Preflight checks with DescribeImages that an
// image ID exists.
func (v *validator) awsImageID(path, image string) {
	if IsAMIID(image) {
		return
	}
	if name, ok := strings.CutPrefix(image, ssmImagePrefix); ok && name != "" {
		if !strings.HasPrefix(name, PublicImageParameterPrefix) {
			v.add(path, fmt.Sprintf("%q names a Systems Manager parameter outside %s, which the deployed functions "+
				"may not read, so EC2 would reject the launch; use the image ID that the parameter contains (ami-...) "+
				"or a public parameter under %s", image, PublicImageParameterPrefix, PublicImageParameterPrefix))
		}
		return
	}
	v.add(path, fmt.Sprintf("%q is not an EC2 image ID; use ami- followed by 8 or 17 lower-case hex digits, "+
		"such as ami-0123456789abcdef0, or resolve:ssm: and a public parameter path under "+PublicImageParameterPrefix+", or leave it out for the newest Amazon Linux 2023", image))
}

// DefaultImageIDARM64 is DefaultImageID for instance types with arm64
// processors, such as the Graviton types t4g and m7g.
const DefaultImageIDARM64 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
