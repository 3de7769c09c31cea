package proxyvm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// LaunchImage returns the image that the proxy VM launches from: for the
// default aws.image_id, the Amazon Linux 2023 image of the instance type's
// architecture, and otherwise aws.image_id itself. EC2 rejects a launch
// whose image and instance type have different architectures, so
// LaunchImage fails such a request with InvalidRequest, and also an
// instance type, image ID or resolve:ssm: parameter that the region does
// not have. It reads the image ID of a resolve:ssm: parameter other than
// the default with ssm:GetParameters, as EC2 does at launch, and checks
// that image. The launch still names the parameter, so EC2 resolves it
// again then.
func LaunchImage(ctx context.Context, network cloud.AWSNetwork, aws request.AWS) (string, error) {
	architectures, err := network.InstanceTypeArchitectures(ctx, aws.InstanceType)
	if errors.Is(err, cloud.ErrInvalidInstanceType) {
		return "", workflow.Invalid("$.aws.instance_type %q is not an instance type of $.aws.region %s: %v. "+
			"Set $.aws.instance_type to a type that the region has, such as t3.micro", aws.InstanceType, aws.Region, err)
	}
	if err != nil {
		return "", fmt.Errorf("read the architectures of instance type %s: %w", aws.InstanceType, err)
	}

	if aws.ImageID == request.DefaultImageID {
		return defaultImage(aws, architectures)
	}
	imageID, err := resolveImageID(ctx, network, aws)
	if err != nil {
		return "", err
	}
	image, err := network.Image(ctx, imageID)
	if errors.Is(err, cloud.ErrInvalidImage) {
		return "", workflow.Invalid("$.aws.image_id %s is not an image of $.aws.region %s: %v. "+
			"Set $.aws.image_id to an image ID of that region, or leave it out for the newest Amazon Linux 2023", describeImage(aws.ImageID, imageID), aws.Region, err)
	}
	if err != nil {
		return "", fmt.Errorf("read image %s: %w", imageID, err)
	}
	if !slices.Contains(architectures, image.Architecture) {
		return "", workflow.Invalid("$.aws.image_id %s is built for %s, but $.aws.instance_type %s runs on %s, so EC2 would not launch it. "+
			"Set $.aws.instance_type to a type for %s, or $.aws.image_id to an image for %s",
			describeImage(aws.ImageID, imageID), image.Architecture, aws.InstanceType, strings.Join(architectures, ", "),
			image.Architecture, strings.Join(architectures, " or "))
	}
	return aws.ImageID, nil
}

// resolveImageID returns the image ID of aws.image_id: the ID itself, or
// the value of the Systems Manager parameter that a resolve:ssm: reference
// names.
func resolveImageID(ctx context.Context, network cloud.AWSNetwork, aws request.AWS) (string, error) {
	name, ok := request.ImageParameterName(aws.ImageID)
	if !ok {
		return aws.ImageID, nil
	}
	value, err := network.ImageParameter(ctx, name)
	if errors.Is(err, cloud.ErrInvalidImage) {
		return "", workflow.Invalid("$.aws.image_id %q names a Systems Manager parameter that $.aws.region %s does not have: %v. "+
			"Set $.aws.image_id to resolve:ssm: and a public parameter of that region, such as %s, or to an image ID",
			aws.ImageID, aws.Region, err, request.DefaultImageID)
	}
	if err != nil {
		return "", fmt.Errorf("read the image ID of $.aws.image_id %s: %w", aws.ImageID, err)
	}
	if !request.IsAMIID(value) {
		return "", workflow.Invalid("$.aws.image_id %q names a Systems Manager parameter whose value %q is not an image ID, so EC2 would not launch it. "+
			"Set $.aws.image_id to a parameter that contains an image ID (ami-...), or to an image ID", aws.ImageID, value)
	}
	return value, nil
}

// describeImage returns how a message names aws.image_id: the ID, or a
// resolve:ssm: reference and the image ID that it contains.
func describeImage(ref, imageID string) string {
	if ref == imageID {
		return ref
	}
	return fmt.Sprintf("%s (image %s)", ref, imageID)
}

// defaultImage returns the Amazon Linux 2023 image reference for the
// instance type's architectures, preferring x86_64.
func defaultImage(aws request.AWS, architectures []string) (string, error) {
	switch {
	case slices.Contains(architectures, "x86_64"):
		return request.DefaultImageID, nil
	case slices.Contains(architectures, "arm64"):
		return request.DefaultImageIDARM64, nil
	}
	return "", workflow.Invalid("$.aws.instance_type %s runs on %s, and Amazon Linux 2023 has images only for x86_64 and arm64. "+
		"Set $.aws.instance_type to an x86_64 or arm64 type, or set $.aws.image_id to an image for %s",
		aws.InstanceType, strings.Join(architectures, ", "), strings.Join(architectures, " or "))
}
