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
// instance type or image ID that the region does not have. An image given
// as a resolve:ssm: parameter other than the default is left for EC2 to
// resolve.
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
	if !request.IsAMIID(aws.ImageID) {
		return aws.ImageID, nil
	}
	image, err := network.Image(ctx, aws.ImageID)
	if errors.Is(err, cloud.ErrInvalidImage) {
		return "", workflow.Invalid("$.aws.image_id %q is not an image of $.aws.region %s: %v. "+
			"Set $.aws.image_id to an image ID of that region, or leave it out for the newest Amazon Linux 2023", aws.ImageID, aws.Region, err)
	}
	if err != nil {
		return "", fmt.Errorf("read image %s: %w", aws.ImageID, err)
	}
	if !slices.Contains(architectures, image.Architecture) {
		return "", workflow.Invalid("$.aws.image_id %s is built for %s, but $.aws.instance_type %s runs on %s, so EC2 would not launch it. "+
			"Set $.aws.instance_type to a type for %s, or $.aws.image_id to an image for %s",
			aws.ImageID, image.Architecture, aws.InstanceType, strings.Join(architectures, ", "),
			image.Architecture, strings.Join(architectures, " or "))
	}
	return aws.ImageID, nil
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
