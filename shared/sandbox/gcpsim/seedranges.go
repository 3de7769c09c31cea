package gcpsim

import (
	"fmt"
	"net"
)

// FreeSubnetRange returns want when no subnetwork of the network overlaps
// it, and otherwise the first /24 in 10.0.0.0/8 that none overlaps. The
// sandbox seeds a request's subnet with it, so that a request that names
// another subnet of a network seeded before still gets one.
func (s *Server) FreeSubnetRange(project, network, want string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := canonical(project, "global/networks/"+network)
	overlapsSubnet := func(cidr string) bool {
		for _, sub := range s.world.Subnetworks {
			if sub.Network == path && cidrOverlaps(sub.IPCIDRRange, cidr) {
				return true
			}
		}
		return false
	}
	if !overlapsSubnet(want) {
		return want, nil
	}
	for i := range 1 << 16 {
		cidr := fmt.Sprintf("10.%d.%d.0/24", i>>8, i&0xff)
		if !overlapsSubnet(cidr) {
			return cidr, nil
		}
	}
	return "", fmt.Errorf("no free /24 range in 10.0.0.0/8 in network %s", network)
}

// SubnetworkContaining returns the name of the subnetwork of the network in
// region whose range contains ip, or "" when there is none.
func (s *Server) SubnetworkContaining(project, region, network, ip string) string {
	addr := net.ParseIP(ip)
	s.mu.Lock()
	defer s.mu.Unlock()
	path := canonical(project, "global/networks/"+network)
	for _, key := range sortedKeys(s.world.Subnetworks) {
		sub := s.world.Subnetworks[key]
		if sub.Project != project || sub.Region != region || sub.Network != path {
			continue
		}
		if _, block, err := net.ParseCIDR(sub.IPCIDRRange); err == nil && block.Contains(addr) {
			return sub.Name
		}
	}
	return ""
}

// InstanceNameAt returns the name of the VM in the zone with the internal
// address ip, or "" when there is none.
func (s *Server) InstanceNameAt(project, zone, ip string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range sortedKeys(s.world.Instances) {
		x := s.world.Instances[key]
		if x.Project == project && x.Zone == zone && x.NetworkIP == ip {
			return x.Name
		}
	}
	return ""
}

// HasInstance reports whether the zone has a VM named name.
func (s *Server) HasInstance(project, zone, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.world.Instances["projects/"+project+"/zones/"+zone+"/instances/"+name]
	return ok
}
