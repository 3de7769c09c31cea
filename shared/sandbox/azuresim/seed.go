package azuresim

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// store writes a ready resource into the world. Callers hold s.mu.
func (s *Server) store(id, resourceType string, v any) error {
	data, err := marshal(v)
	if err != nil {
		return err
	}
	now := s.now()
	s.world.Resources[key(id)] = &Resource{ID: id, Type: resourceType, Body: data, CreatedAt: now, ReadyAt: now}
	return nil
}

// EnsureSubnet creates the virtual network and the subnet with
// addressPrefix when they do not exist, as an administrator would have
// before a request runs. Private link service network policies start
// Enabled, Azure's default. An existing subnet is left unchanged.
func (s *Server) EnsureSubnet(subscription, resourceGroup, location, vnet, subnet, addressPrefix string) (string, error) {
	prefix, err := netip.ParsePrefix(addressPrefix)
	if err != nil || !prefix.Addr().Is4() {
		return "", fmt.Errorf("azuresim: subnet %s: invalid IPv4 address prefix %q", subnet, addressPrefix)
	}
	vnetID := "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup + "/providers/Microsoft.Network/virtualNetworks/" + vnet
	subnetID := vnetID + "/subnets/" + subnet

	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	if s.resource(vnetID, typeVNet) == nil {
		if err := s.store(vnetID, typeVNet, armnetwork.VirtualNetwork{Location: to(location), Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to("10.0.0.0/8")}},
		}}); err != nil {
			return "", err
		}
		changed = true
	}
	if existing := s.resource(subnetID, typeSubnet); existing != nil {
		return existing.ID, nil
	}
	if err := s.store(subnetID, typeSubnet, armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix:                     to(prefix.Masked().String()),
		PrivateLinkServiceNetworkPolicies: to(armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesEnabled),
	}}); err != nil {
		return "", err
	}
	changed = true
	if changed {
		if err := s.commit(); err != nil {
			return "", err
		}
	}
	return subnetID, nil
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
// in the virtual network, such as a repository reached without a proxy.
// An interface that already has the address is left unchanged.
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
	nic := armnetwork.Interface{Location: to(defaultLocation), Properties: &armnetwork.InterfacePropertiesFormat{
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
