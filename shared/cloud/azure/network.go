package azure

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/cloud"
)

// VirtualNetwork returns the virtual network, or (nil, nil) when it does
// not exist.
func (p *Provider) VirtualNetwork(ctx context.Context, resourceGroup, vnet string) (*cloud.AzureVirtualNetwork, error) {
	resp, err := p.vnets.Get(ctx, resourceGroup, vnet, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get virtual network %s in resource group %s", vnet, resourceGroup)
	}
	return &cloud.AzureVirtualNetwork{ID: str(resp.ID), Location: str(resp.Location)}, nil
}

// Subnet returns the subnet, or (nil, nil) when it does not exist.
func (p *Provider) Subnet(ctx context.Context, resourceGroup, vnet, subnet string) (*cloud.AzureSubnet, error) {
	resp, err := p.subnets.Get(ctx, resourceGroup, vnet, subnet, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get subnet %s/%s in resource group %s", vnet, subnet, resourceGroup)
	}
	s := subnetOf(resp.Subnet)
	return &s, nil
}

// DisablePrivateLinkServicePolicies reads the subnet, sets
// privateLinkServiceNetworkPolicies to Disabled and writes the subnet back
// with a PUT, since Resource Manager has no PATCH for subnets. The other
// properties go back as read, so the address prefix, security group and
// route table stay.
func (p *Provider) DisablePrivateLinkServicePolicies(ctx context.Context, resourceGroup, vnet, subnet string) (cloud.AzureSubnet, error) {
	resp, err := p.subnets.Get(ctx, resourceGroup, vnet, subnet, nil)
	if err != nil {
		return cloud.AzureSubnet{}, classify(err, "get subnet %s/%s in resource group %s", vnet, subnet, resourceGroup)
	}
	current := resp.Subnet
	if current.Properties == nil {
		current.Properties = &armnetwork.SubnetPropertiesFormat{}
	}
	if policy := current.Properties.PrivateLinkServiceNetworkPolicies; policy != nil && *policy == armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled {
		return subnetOf(current), nil
	}
	current.Properties.PrivateLinkServiceNetworkPolicies = to(armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled)

	poller, err := p.subnets.BeginCreateOrUpdate(ctx, resourceGroup, vnet, subnet, current, nil)
	done, err := wait(ctx, poller, err, p.poll)
	if err != nil {
		return cloud.AzureSubnet{}, classify(err, "disable private link service network policies on subnet %s/%s in resource group %s", vnet, subnet, resourceGroup)
	}
	return subnetOf(done.Subnet), nil
}

func subnetOf(s armnetwork.Subnet) cloud.AzureSubnet {
	out := cloud.AzureSubnet{ID: str(s.ID), Name: str(s.Name)}
	if props := s.Properties; props != nil {
		out.AddressPrefix = str(props.AddressPrefix)
		if out.AddressPrefix == "" && len(props.AddressPrefixes) > 0 {
			out.AddressPrefix = str(props.AddressPrefixes[0])
		}
		if props.PrivateLinkServiceNetworkPolicies != nil {
			out.PrivateLinkServiceNetworkPolicies = string(*props.PrivateLinkServiceNetworkPolicies)
		}
		if props.ProvisioningState != nil {
			out.ProvisioningState = string(*props.ProvisioningState)
		}
	}
	return out
}

// FindNetworkInterface returns the interface, or (nil, nil) when it does
// not exist.
func (p *Provider) FindNetworkInterface(ctx context.Context, resourceGroup, name string) (*cloud.AzureNetworkInterface, error) {
	resp, err := p.interfaces.Get(ctx, resourceGroup, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get network interface %s in resource group %s", name, resourceGroup)
	}
	nic := interfaceOf(resp.Interface)
	return &nic, nil
}

// FindNetworkInterfaceByIP lists the subscription's interfaces and returns
// the one whose primary IP configuration has ip in a subnet of vnetID.
func (p *Provider) FindNetworkInterfaceByIP(ctx context.Context, vnetID, ip string) (*cloud.AzureNetworkInterface, error) {
	prefix := strings.ToLower(strings.TrimRight(vnetID, "/")) + "/subnets/"
	pager := p.interfaces.NewListAllPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(err, "list network interfaces of subscription %s", p.subscription)
		}
		for _, item := range page.Value {
			if item == nil {
				continue
			}
			nic := interfaceOf(*item)
			if nic.PrivateIP == ip && strings.HasPrefix(strings.ToLower(nic.SubnetID), prefix) {
				return &nic, nil
			}
		}
	}
	return nil, nil
}

// CreateNetworkInterface creates an interface with one dynamic IP
// configuration in spec.SubnetID and waits for it.
func (p *Provider) CreateNetworkInterface(ctx context.Context, spec cloud.AzureNetworkInterfaceSpec) (cloud.AzureNetworkInterface, error) {
	nic := armnetwork.Interface{
		Location: to(spec.Location),
		Tags:     tagsFor(spec.RequestID, spec.Tags),
		Properties: &armnetwork.InterfacePropertiesFormat{
			IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
				Name: to("ipconfig1"),
				Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
					Primary:                   to(true),
					PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodDynamic),
					Subnet:                    &armnetwork.Subnet{ID: to(spec.SubnetID)},
				},
			}},
		},
	}
	poller, err := p.interfaces.BeginCreateOrUpdate(ctx, spec.ResourceGroup, spec.Name, nic, nil)
	done, err := wait(ctx, poller, err, p.poll)
	if err != nil {
		return cloud.AzureNetworkInterface{}, classify(err, "create network interface %s in resource group %s", spec.Name, spec.ResourceGroup)
	}
	return interfaceOf(done.Interface), nil
}

// JoinBackendPool reads the interface, adds the pool to its primary IP
// configuration and writes the interface back.
func (p *Provider) JoinBackendPool(ctx context.Context, networkInterfaceID, backendPoolID string) error {
	id, err := parseID(networkInterfaceID, "Microsoft.Network/networkInterfaces")
	if err != nil {
		return err
	}
	resp, err := p.interfaces.Get(ctx, id.ResourceGroupName, id.Name, nil)
	if err != nil {
		return classify(err, "get network interface %s", networkInterfaceID)
	}
	current := resp.Interface
	config := primaryConfig(current)
	if config == nil || config.Properties == nil {
		return fmt.Errorf("azure: network interface %s has no IP configuration", networkInterfaceID)
	}
	for _, pool := range config.Properties.LoadBalancerBackendAddressPools {
		if pool != nil && strings.EqualFold(str(pool.ID), backendPoolID) {
			return nil
		}
	}
	config.Properties.LoadBalancerBackendAddressPools = append(config.Properties.LoadBalancerBackendAddressPools,
		&armnetwork.BackendAddressPool{ID: to(backendPoolID)})

	poller, err := p.interfaces.BeginCreateOrUpdate(ctx, id.ResourceGroupName, id.Name, current, nil)
	if _, err := wait(ctx, poller, err, p.poll); err != nil {
		return classify(err, "add network interface %s to backend pool %s", networkInterfaceID, backendPoolID)
	}
	return nil
}

// primaryConfig returns the primary IP configuration, or the first one when
// none is marked primary.
func primaryConfig(nic armnetwork.Interface) *armnetwork.InterfaceIPConfiguration {
	if nic.Properties == nil || len(nic.Properties.IPConfigurations) == 0 {
		return nil
	}
	for _, c := range nic.Properties.IPConfigurations {
		if c != nil && c.Properties != nil && c.Properties.Primary != nil && *c.Properties.Primary {
			return c
		}
	}
	return nic.Properties.IPConfigurations[0]
}

func interfaceOf(nic armnetwork.Interface) cloud.AzureNetworkInterface {
	out := cloud.AzureNetworkInterface{ID: str(nic.ID), Name: str(nic.Name), Tags: tagsOf(nic.Tags)}
	if props := nic.Properties; props != nil {
		if props.ProvisioningState != nil {
			out.ProvisioningState = string(*props.ProvisioningState)
		}
		if props.VirtualMachine != nil {
			out.VirtualMachineID = str(props.VirtualMachine.ID)
		}
	}
	config := primaryConfig(nic)
	if config == nil {
		return out
	}
	out.IPConfigurationID = str(config.ID)
	if props := config.Properties; props != nil {
		out.PrivateIP = str(props.PrivateIPAddress)
		if props.Subnet != nil {
			out.SubnetID = str(props.Subnet.ID)
		}
		for _, pool := range props.LoadBalancerBackendAddressPools {
			if pool != nil && !slices.Contains(out.BackendPoolIDs, str(pool.ID)) {
				out.BackendPoolIDs = append(out.BackendPoolIDs, str(pool.ID))
			}
		}
	}
	return out
}
