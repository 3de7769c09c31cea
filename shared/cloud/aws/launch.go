package aws

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// InstanceTypeArchitectures returns the processor architectures of the
// instance type from DescribeInstanceTypes. EC2 fails the call with
// InvalidInstanceType for a type that the region does not have.
func (p *Provider) InstanceTypeArchitectures(ctx context.Context, instanceType string) ([]string, error) {
	out, err := p.ec2.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{
		InstanceTypes: []types.InstanceType{types.InstanceType(instanceType)},
	})
	if err != nil {
		return nil, classify(err, p.region, "describe instance type %s", instanceType)
	}
	for _, info := range out.InstanceTypes {
		if string(info.InstanceType) != instanceType || info.ProcessorInfo == nil {
			continue
		}
		architectures := make([]string, 0, len(info.ProcessorInfo.SupportedArchitectures))
		for _, arch := range info.ProcessorInfo.SupportedArchitectures {
			architectures = append(architectures, string(arch))
		}
		return architectures, nil
	}
	return nil, &stepError{
		named: &workflow.Error{Name: workflow.ErrInvalidRequest,
			Message: "aws: describe instance type " + instanceType + " in region " + p.region + ": response lists no such type"},
		cause: cloud.ErrInvalidInstanceType,
	}
}

// Image returns the image from DescribeImages. EC2 fails the call with
// InvalidAMIID.Malformed or InvalidAMIID.NotFound for an ID that is
// malformed or that the region does not have.
func (p *Provider) Image(ctx context.Context, imageID string) (cloud.Image, error) {
	out, err := p.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{imageID}})
	if err != nil {
		return cloud.Image{}, classify(err, p.region, "describe image %s", imageID)
	}
	for _, image := range out.Images {
		if aws.ToString(image.ImageId) == imageID {
			return cloud.Image{ID: imageID, Name: aws.ToString(image.Name), Architecture: string(image.Architecture)}, nil
		}
	}
	return cloud.Image{}, &stepError{
		named: &workflow.Error{Name: workflow.ErrInvalidRequest,
			Message: "aws: describe image " + imageID + " in region " + p.region + ": response lists no such image"},
		cause: cloud.ErrInvalidImage,
	}
}

// SecurityGroups returns the security groups from DescribeSecurityGroups.
// EC2 fails the whole call with InvalidGroup.NotFound when one of them
// does not exist.
func (p *Provider) SecurityGroups(ctx context.Context, ids []string) ([]cloud.SecurityGroup, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var groups []cloud.SecurityGroup
	pages := ec2.NewDescribeSecurityGroupsPaginator(p.ec2, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, "describe security groups %s", strings.Join(ids, ", "))
		}
		for _, group := range page.SecurityGroups {
			groups = append(groups, cloud.SecurityGroup{ID: aws.ToString(group.GroupId), VPCID: aws.ToString(group.VpcId)})
		}
	}
	return groups, nil
}

// VPC returns the VPC and its associated IPv4 CIDR blocks, or nil when
// EC2 does not find it.
func (p *Provider) VPC(ctx context.Context, vpcID string) (*cloud.VPC, error) {
	out, err := p.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if apiCode(err) == "InvalidVpcID.NotFound" {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, p.region, "describe VPC %s", vpcID)
	}
	for _, vpc := range out.Vpcs {
		if aws.ToString(vpc.VpcId) != vpcID {
			continue
		}
		found := &cloud.VPC{ID: vpcID}
		for _, block := range vpc.CidrBlockAssociationSet {
			if block.CidrBlockState != nil && block.CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated {
				continue
			}
			found.CIDRBlocks = append(found.CIDRBlocks, aws.ToString(block.CidrBlock))
		}
		if len(found.CIDRBlocks) == 0 && vpc.CidrBlock != nil {
			found.CIDRBlocks = []string{aws.ToString(vpc.CidrBlock)}
		}
		return found, nil
	}
	return nil, nil
}
