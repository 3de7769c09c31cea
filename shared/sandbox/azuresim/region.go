package azuresim

import (
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// HasLocation reports whether Subscriptions - List Locations lists the
// location, compared without case: a location of the catalogue or a
// restricted one.
func HasLocation(location string) bool {
	return containsFold(knownLocations, location) || containsFold(restrictedLocations, location)
}

// vnetOfSubnet returns the ID of the virtual network that contains the
// subnet, or "" when subnetID names no subnet.
func vnetOfSubnet(subnetID string) string {
	i := strings.LastIndex(strings.ToLower(subnetID), "/subnets/")
	if i < 0 {
		return ""
	}
	return subnetID[:i]
}

// vnetLocation returns the location of the virtual network, or "" when it
// does not exist. Callers hold s.mu.
func (s *Server) vnetLocation(vnetID string) string {
	res := s.resource(vnetID, typeVNet)
	if res == nil {
		return ""
	}
	vnet, err := decode[armnetwork.VirtualNetwork](res)
	if err != nil {
		return ""
	}
	return str(vnet.Location)
}

// checkSubnetRegion fails the create of resource id in location when it
// references a subnet whose virtual network is in another location. A body
// without a location, and a subnet that does not exist, pass, because the
// preparers report a missing subnet themselves. The preparers check only
// creates, so that an update of a resource that an earlier sandbox version
// seeded in the wrong location still succeeds. Callers hold s.mu.
//
// Resource Manager rejects a network interface in another region than its
// subnet with 400 InvalidResourceReference and this message, as Azure CLI
// and ARM template users report it.
//
// NOTE: the sandbox returns the same error for a load balancer frontend and
// a Private Link Service NAT configuration; their code on Azure is
// unconfirmed.
func (s *Server) checkSubnetRegion(id, location, subnetID string) error {
	vnetLocation := s.vnetLocation(vnetOfSubnet(subnetID))
	if location == "" || vnetLocation == "" || strings.EqualFold(location, vnetLocation) {
		return nil
	}
	return errorf(http.StatusBadRequest, "InvalidResourceReference",
		"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, "+
			"and that both resources are in the same region.", subnetID, id)
}

// vnetInUse reports whether a resource that the sandbox did not seed, such
// as a network interface or a load balancer that a run created, references
// a subnet of the virtual network. Callers hold s.mu.
func (s *Server) vnetInUse(vnetID string) bool {
	subnets := key(vnetID) + "/subnets/"
	for _, res := range s.world.Resources {
		if res.Seeded || res.Type == typeSubnet {
			continue
		}
		if strings.Contains(strings.ToLower(string(res.Body)), subnets) {
			return true
		}
	}
	return false
}

// relocateVNet moves a seeded virtual network, and the network interfaces
// seeded in it, to location. Callers hold s.mu and commit the world.
func (s *Server) relocateVNet(vnetID, location string) error {
	subnets := key(vnetID) + "/subnets/"
	for _, res := range s.world.Resources {
		if !res.Seeded {
			continue
		}
		switch {
		case res.Type == typeVNet && key(res.ID) == key(vnetID):
			vnet, err := decode[armnetwork.VirtualNetwork](res)
			if err != nil {
				return err
			}
			vnet.Location = to(location)
			if res.Body, err = marshal(vnet); err != nil {
				return err
			}
		case res.Type == typeNIC && strings.Contains(strings.ToLower(string(res.Body)), subnets):
			nic, err := decode[armnetwork.Interface](res)
			if err != nil {
				return err
			}
			nic.Location = to(location)
			if res.Body, err = marshal(nic); err != nil {
				return err
			}
		}
	}
	return nil
}

// NetworkLocation returns the location of the virtual network, or "" when
// it does not exist.
func (s *Server) NetworkLocation(subscription, resourceGroup, vnet string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vnetLocation("/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup + "/providers/Microsoft.Network/virtualNetworks/" + vnet)
}
