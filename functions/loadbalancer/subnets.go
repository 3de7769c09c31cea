package loadbalancer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// addMissingSubnets enables the load balancer in the zones of the request's
// subnets that it is not in yet, reads it back, and updates lb. It reports
// whether it changed the load balancer. A request subnet in a zone that the
// load balancer already serves through another subnet is left out, because
// ELBv2 rejects a second subnet in one zone. A network load balancer behind
// an endpoint service cannot give up a subnet either.
func addMissingSubnets(ctx context.Context, network cloud.AWSNetwork, lb *cloud.LoadBalancer, subnetIDs []string) (bool, error) {
	added, err := MissingSubnets(ctx, network, lb, subnetIDs)
	if err != nil || len(added) == 0 {
		return false, err
	}
	want := append(slices.Clone(lb.SubnetIDs), added...)
	if err := network.SetLoadBalancerSubnets(ctx, lb.ARN, want); err != nil {
		return false, fmt.Errorf("add subnets %s to load balancer %s: %w", strings.Join(added, ", "), lb.ARN, err)
	}

	readBack, err := network.FindLoadBalancer(ctx, lb.Name)
	if err != nil {
		return false, fmt.Errorf("find load balancer %s: %w", lb.Name, err)
	}
	if readBack == nil {
		return false, workflow.NotReady("load balancer %s is not visible after its subnets were set; waiting for it", lb.Name)
	}
	for _, id := range added {
		if !slices.Contains(readBack.SubnetIDs, id) {
			return false, workflow.NotReady("load balancer %s lists subnets %s after %s was added; waiting for the change to apply",
				lb.ARN, strings.Join(readBack.SubnetIDs, ", "), id)
		}
	}
	readBack.Tags = lb.Tags
	*lb = *readBack
	return true, nil
}

// MissingSubnets returns the request's subnets in zones that the load
// balancer is not enabled in, in the order of the request.
func MissingSubnets(ctx context.Context, network cloud.AWSNetwork, lb *cloud.LoadBalancer, subnetIDs []string) ([]string, error) {
	var unknown []string
	for _, id := range subnetIDs {
		if !slices.Contains(lb.SubnetIDs, id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) == 0 {
		return nil, nil
	}
	subnets, err := network.Subnets(ctx, unknown)
	if err != nil {
		return nil, fmt.Errorf("read subnets %s: %w", strings.Join(unknown, ", "), err)
	}
	zones := slices.Clone(lb.Zones)
	var missing []string
	for _, id := range unknown {
		for _, subnet := range subnets {
			if subnet.ID != id || slices.Contains(zones, subnet.ZoneName) {
				continue
			}
			missing = append(missing, id)
			zones = append(zones, subnet.ZoneName)
		}
	}
	return missing, nil
}
