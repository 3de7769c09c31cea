package azuresim

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// store writes a ready seeded resource into the world. Callers hold s.mu.
func (s *Server) store(id, resourceType string, v any) error {
	data, err := marshal(v)
	if err != nil {
		return err
	}
	now := s.now()
	s.world.Resources[key(id)] = &Resource{ID: id, Type: resourceType, Body: data, CreatedAt: now, ReadyAt: now, Seeded: true}
	return nil
}

// EnsureSubnet creates the virtual network in location and the subnet with
// addressPrefix when they do not exist, as an administrator would have
// before a request runs. Private link service network policies start
// Enabled, Azure's default. An existing subnet is left unchanged.
//
// A seeded network in another location moves to location, with the
// network interfaces seeded in it, as long as no resource that a run
// created references its subnets. Seeding runs before the checks of a
// request, so the first request that names the network must not fix its
// region when the checks then reject that request. Once a run has built
// in the network, its region stays, and a request for another location
// fails the azure_location check.
func (s *Server) EnsureSubnet(subscription, resourceGroup, location, vnet, subnet, addressPrefix string) (string, error) {
	prefix, err := netip.ParsePrefix(addressPrefix)
	if err != nil || !prefix.Addr().Is4() {
		return "", fmt.Errorf("azuresim: subnet %s: invalid IPv4 address prefix %q", subnet, addressPrefix)
	}
	vnetID := "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup + "/providers/Microsoft.Network/virtualNetworks/" + vnet
	subnetID := vnetID + "/subnets/" + subnet

	s.mu.Lock()
	defer s.mu.Unlock()
	changed, err := s.ensureVNet(vnetID, location)
	if err != nil {
		return "", err
	}
	if existing := s.resource(subnetID, typeSubnet); existing != nil {
		if changed {
			return existing.ID, s.commit()
		}
		return existing.ID, nil
	}
	if err := s.store(subnetID, typeSubnet, armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix:                     to(prefix.Masked().String()),
		PrivateLinkServiceNetworkPolicies: to(armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesEnabled),
	}}); err != nil {
		return "", err
	}
	return subnetID, s.commit()
}

// ensureVNet creates the virtual network in location, or moves a seeded
// one that no run uses there, and reports whether it changed the world.
// Callers hold s.mu and commit the world.
func (s *Server) ensureVNet(vnetID, location string) (bool, error) {
	vnet := s.resource(vnetID, typeVNet)
	if vnet == nil {
		err := s.store(vnetID, typeVNet, armnetwork.VirtualNetwork{Location: to(location), Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to("10.0.0.0/8")}},
		}})
		return err == nil, err
	}
	if !vnet.Seeded || strings.EqualFold(s.vnetLocation(vnetID), location) || s.vnetInUse(vnetID) {
		return false, nil
	}
	err := s.relocateVNet(vnetID, location)
	return err == nil, err
}

// EnsureNetworkSecurityGroup creates an empty network security group when
// it does not exist.
func (s *Server) EnsureNetworkSecurityGroup(subscription, resourceGroup, location, name string) (string, error) {
	id := "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup + "/providers/Microsoft.Network/networkSecurityGroups/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing := s.resource(id, typeNSG); existing != nil {
		return existing.ID, nil
	}
	if err := s.store(id, typeNSG, armnetwork.SecurityGroup{Location: to(location), Properties: &armnetwork.SecurityGroupPropertiesFormat{}}); err != nil {
		return "", err
	}
	return id, s.commit()
}

// EnsureNetworkInterface creates a network interface named name with the
// private address ip in the subnet, standing for a server that already runs
// in the virtual network, such as a repository reached without a proxy. It
// is in the location of the virtual network. An interface that already has
// the name is left unchanged.
func (s *Server) EnsureNetworkInterface(subnetID, name, ip string) (string, error) {
	i := strings.Index(strings.ToLower(subnetID), "/providers/")
	if i < 0 {
		return "", fmt.Errorf("azuresim: invalid subnet ID %q", subnetID)
	}
	id := subnetID[:i] + "/providers/Microsoft.Network/networkInterfaces/" + name

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resource(subnetID, typeSubnet) == nil {
		return "", fmt.Errorf("azuresim: subnet %s: %w", subnetID, ErrNotFound)
	}
	if existing := s.resource(id, typeNIC); existing != nil {
		return existing.ID, nil
	}
	nic := armnetwork.Interface{Location: to(s.vnetLocation(vnetOfSubnet(subnetID))), Properties: &armnetwork.InterfacePropertiesFormat{
		IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
			ID:   to(id + "/ipConfigurations/ipconfig1"),
			Name: to("ipconfig1"),
			Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
				Primary:                   to(true),
				PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodStatic),
				PrivateIPAddress:          to(ip),
				Subnet:                    &armnetwork.Subnet{ID: to(subnetID)},
			},
		}},
	}}
	if err := s.store(id, typeNIC, nic); err != nil {
		return "", err
	}
	return id, s.commit()
}
