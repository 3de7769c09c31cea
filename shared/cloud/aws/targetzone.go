package aws

import (
	"context"
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// allZones is the availability zone of an IP target outside the target
// group's VPC: load balancer nodes in every enabled zone send to it.
const allZones = "all"

// targetDescription returns the target for RegisterTargets and
// DeregisterTargets. An instance ID, or an IP address in a CIDR block of
// the target group's VPC, gets no zone, so ELBv2 takes the zone of its
// subnet. An IP address outside the VPC gets zone all.
// NOTE: ELBv2 may compare the address with the VPC's subnets rather than
// its CIDR blocks, so an address in a block that has no subnet may still
// need a zone.
func (p *Provider) targetDescription(ctx context.Context, targetGroupARN, targetID string, port int) (types.TargetDescription, error) {
	target := types.TargetDescription{Id: aws.String(targetID), Port: aws.Int32(int32(port))}
	ip := net.ParseIP(targetID)
	if ip == nil {
		return target, nil
	}

	out, err := p.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{targetGroupARN}})
	var notFound *types.TargetGroupNotFoundException
	if errors.As(err, &notFound) {
		// The register or deregister call reports the missing group.
		return target, nil
	}
	if err != nil {
		return target, classify(err, p.region, "describe target group %s", targetGroupARN)
	}
	if len(out.TargetGroups) == 0 || aws.ToString(out.TargetGroups[0].VpcId) == "" {
		return target, nil
	}
	vpcID := aws.ToString(out.TargetGroups[0].VpcId)
	vpc, err := p.VPC(ctx, vpcID)
	if err != nil {
		return target, err
	}
	if vpc == nil || inBlocks(ip, vpc.CIDRBlocks) {
		return target, nil
	}
	target.AvailabilityZone = aws.String(allZones)
	return target, nil
}

// inBlocks reports whether ip is in one of the CIDR blocks.
func inBlocks(ip net.IP, blocks []string) bool {
	for _, block := range blocks {
		if _, network, err := net.ParseCIDR(block); err == nil && network.Contains(ip) {
			return true
		}
	}
	return false
}
