package gcproute

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// CheckPSCSubnet returns an InvalidRequest when the service attachment step
// could not use or create the request's Private Service Connect NAT subnet.
// That is the case when gcp.psc_subnet exists with another purpose, in
// another network or with another range than gcp.psc_subnet_cidr, and when
// it is absent and gcp.psc_subnet_cidr overlaps a subnet of gcp.network.
// Preflight runs it with execution "", and the gcp_proxy_vm step runs it
// before it builds anything, so that the run stops before the load balancer
// exists.
//
// NOTE: Compute Engine also rejects a range that overlaps a secondary range
// or a subnet of a peered network, which this check does not read.
func CheckPSCSubnet(ctx context.Context, network cloud.GCPNetwork, req request.Request, execution string) error {
	g := req.GCP
	subnet, err := network.FindSubnetwork(ctx, g.Region, g.PSCSubnet)
	if err != nil {
		return fmt.Errorf("find subnetwork %s: %w", g.PSCSubnet, err)
	}
	if subnet != nil {
		return checkExistingPSCSubnet(subnet, g, execution)
	}

	subnets, err := network.ListSubnetworks(ctx, g.Network)
	if err != nil {
		return fmt.Errorf("list subnetworks of network %s: %w", g.Network, err)
	}
	want, err := netip.ParsePrefix(g.PSCSubnetCIDR)
	if err != nil {
		return workflow.Invalid("$.gcp.psc_subnet_cidr %q is not an IPv4 CIDR block: %v", g.PSCSubnetCIDR, err)
	}
	for _, other := range subnets {
		have, err := netip.ParsePrefix(other.IPCIDRRange)
		if err != nil || !have.Overlaps(want) {
			continue
		}
		return workflow.Invalid("$.gcp.psc_subnet_cidr %s overlaps the range %s of subnet %s in network %s, so the Private Service Connect subnet %s cannot be created; "+
			"set $.gcp.psc_subnet_cidr to a range that no subnet of the network uses, or set $.gcp.psc_subnet to an existing Private Service Connect subnet%s",
			g.PSCSubnetCIDR, other.IPCIDRRange, other.Path, g.Network, g.PSCSubnet,
			workflow.PlacementChangeNote("$.gcp.psc_subnet_cidr or $.gcp.psc_subnet", execution))
	}
	return nil
}

// checkExistingPSCSubnet returns an InvalidRequest when the existing subnet
// of gcp.psc_subnet cannot give the service attachment its NAT addresses
// in the range that the request states.
func checkExistingPSCSubnet(subnet *cloud.GCPSubnetwork, g *request.GCP, execution string) error {
	switch {
	case subnet.Purpose != cloud.GCPPurposePSC:
		purpose := subnet.Purpose
		if purpose == "" {
			purpose = "PRIVATE"
		}
		return workflow.Invalid("$.gcp.psc_subnet %s has purpose %s, but a service attachment takes its NAT addresses from a subnet with purpose %s; "+
			"set $.gcp.psc_subnet to such a subnet, or to a new name so that one is created with $.gcp.psc_subnet_cidr%s",
			subnet.Path, purpose, cloud.GCPPurposePSC, workflow.PlacementChangeNote("$.gcp.psc_subnet", execution))
	case !SamePath(subnet.Network, NetworkPath(g)):
		return workflow.Invalid("$.gcp.psc_subnet %s is in network %s, not in $.gcp.network %s; "+
			"set $.gcp.psc_subnet to a Private Service Connect subnet of that network, or to a new name so that one is created%s",
			subnet.Path, subnet.Network, NetworkPath(g), workflow.PlacementChangeNote("$.gcp.psc_subnet", execution))
	case !SameRange(subnet.IPCIDRRange, g.PSCSubnetCIDR):
		return workflow.Invalid("$.gcp.psc_subnet_cidr is %s, but the existing Private Service Connect subnet %s of $.gcp.psc_subnet has the range %s; "+
			"set $.gcp.psc_subnet_cidr to %s to share that subnet, or set $.gcp.psc_subnet to a new name so that a subnet with %s is created%s",
			g.PSCSubnetCIDR, subnet.Path, subnet.IPCIDRRange, subnet.IPCIDRRange, g.PSCSubnetCIDR,
			workflow.PlacementChangeNote("$.gcp.psc_subnet_cidr or $.gcp.psc_subnet", execution))
	}
	return nil
}

// SameRange reports whether two CIDR blocks are the same network, comparing
// the text when either does not parse.
func SameRange(a, b string) bool {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return pa.Masked() == pb.Masked()
}
