package azure

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/cloud"
)

// FindLoadBalancer returns the load balancer, or (nil, nil) when it does
// not exist.
func (p *Provider) FindLoadBalancer(ctx context.Context, resourceGroup, name string) (*cloud.AzureLoadBalancer, error) {
	resp, err := p.balancers.Get(ctx, resourceGroup, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get load balancer %s in resource group %s", name, resourceGroup)
	}
	lb := loadBalancerOf(resp.LoadBalancer)
	return &lb, nil
}

// CreateLoadBalancer creates the internal Standard load balancer with its
// frontend, backend pool, TCP probe and TCP rule in one PUT and waits for
// it. The children reference each other by IDs under the load balancer's
// own ID, which is known before it exists.
func (p *Provider) CreateLoadBalancer(ctx context.Context, spec cloud.AzureLoadBalancerSpec) (cloud.AzureLoadBalancer, error) {
	lbID := "/subscriptions/" + p.subscription + "/resourceGroups/" + spec.ResourceGroup +
		"/providers/Microsoft.Network/loadBalancers/" + spec.Name
	frontendID := lbID + "/frontendIPConfigurations/" + spec.Frontend
	poolID := lbID + "/backendAddressPools/" + spec.BackendPool
	probeID := lbID + "/probes/" + spec.Probe
	port := to(int32(spec.Port))

	lb := armnetwork.LoadBalancer{
		Location: to(spec.Location),
		Tags:     tagsFor(spec.RequestID, spec.Tags),
		SKU: &armnetwork.LoadBalancerSKU{
			Name: to(armnetwork.LoadBalancerSKUNameStandard),
			Tier: to(armnetwork.LoadBalancerSKUTierRegional),
		},
		Properties: &armnetwork.LoadBalancerPropertiesFormat{
			FrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{
				Name: to(spec.Frontend),
				Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{
					PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodDynamic),
					Subnet:                    &armnetwork.Subnet{ID: to(spec.SubnetID)},
				},
			}},
			BackendAddressPools: []*armnetwork.BackendAddressPool{{Name: to(spec.BackendPool)}},
			Probes: []*armnetwork.Probe{{
				Name: to(spec.Probe),
				Properties: &armnetwork.ProbePropertiesFormat{
					Protocol:          to(armnetwork.ProbeProtocolTCP),
					Port:              port,
					IntervalInSeconds: to(int32(5)),
					NumberOfProbes:    to(int32(2)),
				},
			}},
			LoadBalancingRules: []*armnetwork.LoadBalancingRule{{
				Name: to(spec.Rule),
				Properties: &armnetwork.LoadBalancingRulePropertiesFormat{
					Protocol:                to(armnetwork.TransportProtocolTCP),
					FrontendPort:            port,
					BackendPort:             port,
					FrontendIPConfiguration: &armnetwork.SubResource{ID: to(frontendID)},
					BackendAddressPool:      &armnetwork.SubResource{ID: to(poolID)},
					Probe:                   &armnetwork.SubResource{ID: to(probeID)},
					EnableFloatingIP:        to(false),
					IdleTimeoutInMinutes:    to(int32(30)),
				},
			}},
		},
	}
	poller, err := p.balancers.BeginCreateOrUpdate(ctx, spec.ResourceGroup, spec.Name, lb, nil)
	done, err := wait(ctx, poller, err, p.poll)
	if err != nil {
		return cloud.AzureLoadBalancer{}, classify(err, "create load balancer %s in resource group %s", spec.Name, spec.ResourceGroup)
	}
	return loadBalancerOf(done.LoadBalancer), nil
}

// RuleHealth reads the probe health of the backends behind a rule with
// Resource Manager's rule health call.
func (p *Provider) RuleHealth(ctx context.Context, resourceGroup, loadBalancer, rule string) ([]cloud.AzureBackendHealth, error) {
	poller, err := p.rules.BeginHealth(ctx, resourceGroup, loadBalancer, rule, nil)
	done, err := wait(ctx, poller, err, p.poll)
	if err != nil {
		return nil, classify(err, "read health of rule %s on load balancer %s in resource group %s", rule, loadBalancer, resourceGroup)
	}
	var out []cloud.AzureBackendHealth
	for _, addr := range done.LoadBalancerBackendAddresses {
		if addr == nil {
			continue
		}
		health := cloud.AzureBackendHealth{IPAddress: str(addr.IPAddress), State: str(addr.State), Reason: str(addr.Reason)}
		if addr.NetworkInterfaceIPConfigurationID != nil {
			health.IPConfigurationID = str(addr.NetworkInterfaceIPConfigurationID.ID)
		}
		out = append(out, health)
	}
	return out, nil
}

func loadBalancerOf(lb armnetwork.LoadBalancer) cloud.AzureLoadBalancer {
	out := cloud.AzureLoadBalancer{ID: str(lb.ID), Name: str(lb.Name), Tags: tagsOf(lb.Tags)}
	if lb.SKU != nil && lb.SKU.Name != nil {
		out.SKU = string(*lb.SKU.Name)
	}
	props := lb.Properties
	if props == nil {
		return out
	}
	if props.ProvisioningState != nil {
		out.ProvisioningState = string(*props.ProvisioningState)
	}
	for _, fe := range props.FrontendIPConfigurations {
		if fe == nil {
			continue
		}
		frontend := cloud.AzureFrontend{ID: str(fe.ID), Name: str(fe.Name)}
		if fe.Properties != nil {
			frontend.PrivateIP = str(fe.Properties.PrivateIPAddress)
			if fe.Properties.Subnet != nil {
				frontend.SubnetID = str(fe.Properties.Subnet.ID)
			}
		}
		out.Frontends = append(out.Frontends, frontend)
	}
	for _, pool := range props.BackendAddressPools {
		if pool == nil {
			continue
		}
		backend := cloud.AzureBackendPool{ID: str(pool.ID), Name: str(pool.Name)}
		if pool.Properties != nil {
			for _, config := range pool.Properties.BackendIPConfigurations {
				if config != nil {
					backend.IPConfigurationIDs = append(backend.IPConfigurationIDs, str(config.ID))
				}
			}
		}
		out.BackendPools = append(out.BackendPools, backend)
	}
	for _, probe := range props.Probes {
		if probe == nil {
			continue
		}
		p := cloud.AzureProbe{ID: str(probe.ID), Name: str(probe.Name)}
		if probe.Properties != nil {
			if probe.Properties.Protocol != nil {
				p.Protocol = string(*probe.Properties.Protocol)
			}
			p.Port = num(probe.Properties.Port)
		}
		out.Probes = append(out.Probes, p)
	}
	for _, rule := range props.LoadBalancingRules {
		if rule == nil {
			continue
		}
		r := cloud.AzureRule{ID: str(rule.ID), Name: str(rule.Name)}
		if rp := rule.Properties; rp != nil {
			if rp.Protocol != nil {
				r.Protocol = string(*rp.Protocol)
			}
			r.FrontendPort = num(rp.FrontendPort)
			r.BackendPort = num(rp.BackendPort)
			r.FrontendID = idOf(rp.FrontendIPConfiguration)
			r.BackendPoolID = idOf(rp.BackendAddressPool)
			r.ProbeID = idOf(rp.Probe)
			r.FloatingIP = rp.EnableFloatingIP != nil && *rp.EnableFloatingIP
			r.IdleTimeoutMin = num(rp.IdleTimeoutInMinutes)
		}
		out.Rules = append(out.Rules, r)
	}
	return out
}
