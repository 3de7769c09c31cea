package gcp

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/repolink/repolink/shared/cloud"
)

// ListSubnetworks returns every subnet of the VPC network called network,
// in every region, or nil and no error when the network does not exist. It
// reads the network's list of subnet links and then each subnet, so it
// makes one call per subnet.
func (n *Network) ListSubnetworks(ctx context.Context, network string) ([]cloud.GCPSubnetwork, error) {
	name := lastSegment(network)
	vpc, err := get(ctx, n, n.p.networks.Get, &computepb.GetNetworkRequest{Project: n.project, Network: name},
		"get network %s", name)
	if err != nil || vpc == nil {
		return nil, err
	}
	var out []cloud.GCPSubnetwork
	for _, link := range vpc.GetSubnetworks() {
		region, subnet, ok := subnetworkOf(resourcePath(link))
		if !ok {
			return nil, fmt.Errorf("gcp: network %s lists subnetwork %q, which is not a regions/REGION/subnetworks/NAME path", name, link)
		}
		found, err := n.FindSubnetwork(ctx, region, subnet)
		if err != nil {
			return nil, err
		}
		// A subnet deleted since the network was read is left out.
		if found != nil {
			out = append(out, *found)
		}
	}
	return out, nil
}

// subnetworkOf returns the region and name of a subnet path such as
// projects/p/regions/r/subnetworks/s.
func subnetworkOf(path string) (region, name string, ok bool) {
	parts := strings.Split(path, "/")
	if len(parts) != 6 || parts[2] != "regions" || parts[4] != "subnetworks" {
		return "", "", false
	}
	return parts[3], parts[5], true
}
