package aws

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/repolink/repolink/shared/cloud"
)

// AvailabilityZones returns the region's availability zones that are in
// state available. Local Zones and Wavelength Zones have other zone types
// and are left out, because a network load balancer behind an endpoint
// service cannot use them.
func (p *Provider) AvailabilityZones(ctx context.Context) ([]cloud.AvailabilityZone, error) {
	out, err := p.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []types.Filter{
			{Name: aws.String("zone-type"), Values: []string{"availability-zone"}},
			{Name: aws.String("state"), Values: []string{"available"}},
		},
	})
	if err != nil {
		return nil, classify(err, p.region, "describe availability zones")
	}
	zones := make([]cloud.AvailabilityZone, 0, len(out.AvailabilityZones))
	for _, zone := range out.AvailabilityZones {
		// The filters above already select these, and the check keeps a
		// server that ignores filters from adding other zones.
		if zoneType := aws.ToString(zone.ZoneType); zoneType != "" && zoneType != "availability-zone" {
			continue
		}
		if state := string(zone.State); state != "" && !strings.EqualFold(state, "available") {
			continue
		}
		zones = append(zones, cloud.AvailabilityZone{Name: aws.ToString(zone.ZoneName), ID: aws.ToString(zone.ZoneId)})
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].ID < zones[j].ID })
	return zones, nil
}

// Subnets returns the subnets with the given IDs. EC2 fails the whole call
// with InvalidSubnetID.NotFound when one of them does not exist.
func (p *Provider) Subnets(ctx context.Context, ids []string) ([]cloud.Subnet, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return p.describeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids}, "describe subnets %s", strings.Join(ids, ", "))
}

// VPCSubnets returns every subnet of the VPC.
func (p *Provider) VPCSubnets(ctx context.Context, vpcID string) ([]cloud.Subnet, error) {
	input := &ec2.DescribeSubnetsInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	}
	return p.describeSubnets(ctx, input, "describe subnets of %s", vpcID)
}

func (p *Provider) describeSubnets(ctx context.Context, input *ec2.DescribeSubnetsInput, format string, args ...any) ([]cloud.Subnet, error) {
	var subnets []cloud.Subnet
	pages := ec2.NewDescribeSubnetsPaginator(p.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, format, args...)
		}
		for _, subnet := range page.Subnets {
			subnets = append(subnets, cloud.Subnet{
				ID:       aws.ToString(subnet.SubnetId),
				VPCID:    aws.ToString(subnet.VpcId),
				ZoneName: aws.ToString(subnet.AvailabilityZone),
				ZoneID:   aws.ToString(subnet.AvailabilityZoneId),
			})
		}
	}
	return subnets, nil
}

// SetLoadBalancerSubnets sets the load balancer's subnets to exactly
// subnetIDs, so the caller passes the current subnets with the added ones.
func (p *Provider) SetLoadBalancerSubnets(ctx context.Context, arn string, subnetIDs []string) error {
	_, err := p.elb.SetSubnets(ctx, &elbv2.SetSubnetsInput{
		LoadBalancerArn: aws.String(arn),
		Subnets:         subnetIDs,
	})
	return classify(err, p.region, "set subnets %s of load balancer %s", strings.Join(subnetIDs, ", "), arn)
}
