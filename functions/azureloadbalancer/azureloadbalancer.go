// Package azureloadbalancer creates the internal Standard load balancer in
// front of the proxy VM, or with proxy none the repository's own VM. It has
// a frontend in the request's subnet, a NIC-based backend pool, a TCP probe
// and a TCP rule on port 443.
package azureloadbalancer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// createError wraps the failure to create the load balancer. With proxy
// none it is the route's first resource, so a location that the
// subscription may not use fails here. repolink rejects a run that changes
// azure.location while this run's resources exist, so such a failure
// advises a teardown first, as the proxy VM step's does.
func createError(err error, execution, name, location string) error {
	if azureroute.LocationRejected(err) {
		return fmt.Errorf("create load balancer %s in $.azure.location %q: %w. %s",
			name, location, err, workflow.PlacementChangeFix("$.azure.location", execution))
	}
	return fmt.Errorf("create load balancer %s: %w", name, err)
}

// Output is the load balancer; ListenerARN holds the ID of its load
// balancing rule, which plays the role of a listener.
type Output = workflow.LoadBalancer

// Run finds or creates the load balancer, checks the settings that TLS
// passthrough and a Private Link Service need, adds the backend's network
// interface to the pool, and returns NotReady until the rule's probe
// reports a healthy backend, because a Private Link Service in front of an
// unhealthy backend accepts connections that go nowhere.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if in.Resources.ProxyVM == nil {
		return Output{}, workflow.Invalid("load balancer needs the proxy VM step's result; run azure_proxy_vm first")
	}
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	az := req.Azure
	names := azureroute.NamesFor(req)

	lb, err := network.FindLoadBalancer(ctx, az.ResourceGroup, names.LoadBalancer)
	if err != nil {
		return Output{}, fmt.Errorf("find load balancer %s: %w", names.LoadBalancer, err)
	}
	if lb == nil {
		created, err := network.CreateLoadBalancer(ctx, cloud.AzureLoadBalancerSpec{
			ResourceGroup: az.ResourceGroup,
			Location:      az.Location,
			Name:          names.LoadBalancer,
			RequestID:     req.ID,
			SubnetID:      azureroute.SubnetID(az, az.SubnetName),
			Port:          proxyvm.ProxyPort,
			Frontend:      names.Frontend,
			BackendPool:   names.BackendPool,
			Probe:         names.Probe,
			Rule:          names.Rule,
			Tags:          map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return Output{}, createError(err, in.Execution, names.LoadBalancer, az.Location)
		}
		lb = &created
	}
	if err := azureroute.CheckOwner("load balancer", lb.ID, lb.Tags, req.ID); err != nil {
		return Output{}, err
	}
	if err := azureroute.Progress("load balancer", lb.ID, lb.ProvisioningState); err != nil {
		return Output{}, err
	}
	rule, err := Check(*lb, names)
	if err != nil {
		return Output{}, err
	}

	nic, err := backendInterface(ctx, network, in)
	if err != nil {
		return Output{}, err
	}
	action := workflow.ActionFor(lb.Tags, in.Execution)
	if !slices.ContainsFunc(nic.BackendPoolIDs, func(id string) bool { return strings.EqualFold(id, rule.BackendPoolID) }) {
		if err := network.JoinBackendPool(ctx, nic.ID, rule.BackendPoolID); err != nil {
			return Output{}, fmt.Errorf("add %s to backend pool %s: %w", nic.ID, rule.BackendPoolID, err)
		}
		if action == workflow.Adopted {
			action = workflow.Updated
		}
	}
	if err := checkOtherMembers(*lb, rule.BackendPoolID, nic); err != nil {
		return Output{}, err
	}

	if err := checkHealthy(ctx, network, az.ResourceGroup, names); err != nil {
		return Output{}, err
	}
	return Output{Result: workflow.Result{Action: action, ID: lb.ID}, ListenerARN: rule.ID}, nil
}

// Check returns the load balancer's TCP 443 rule after checking what the
// route relies on. A Private Link Service needs the Standard SKU and an
// internal frontend. The probe must be TCP on 443, because an HTTP probe
// fails against a TLS passthrough port. Floating IP must be off, because
// the proxy listens on its own address, not the frontend's.
func Check(lb cloud.AzureLoadBalancer, names azureroute.Names) (cloud.AzureRule, error) {
	conflict := func(problem string) (cloud.AzureRule, error) {
		return cloud.AzureRule{}, workflow.Errorf(workflow.ErrConflict,
			"load balancer %s %s; delete it so that a correct one is created", lb.ID, problem)
	}
	if !strings.EqualFold(lb.SKU, "Standard") {
		return conflict(fmt.Sprintf("has SKU %q, but a Private Link Service needs Standard", lb.SKU))
	}
	for _, fe := range lb.Frontends {
		if fe.SubnetID == "" {
			return conflict("has a public frontend " + fe.Name)
		}
	}
	var rule *cloud.AzureRule
	for i := range lb.Rules {
		if lb.Rules[i].FrontendPort == proxyvm.ProxyPort {
			rule = &lb.Rules[i]
		}
	}
	if rule == nil {
		return conflict("has no rule for port 443")
	}
	if !strings.EqualFold(rule.Protocol, "Tcp") || rule.BackendPort != proxyvm.ProxyPort {
		return conflict(fmt.Sprintf("forwards port 443 as %s to port %d, but TLS passthrough needs Tcp to 443", rule.Protocol, rule.BackendPort))
	}
	if rule.FloatingIP {
		return conflict("has floating IP on its 443 rule, which the proxy does not listen for")
	}
	if rule.BackendPoolID == "" {
		return conflict("has no backend pool on its 443 rule")
	}
	for _, probe := range lb.Probes {
		if !strings.EqualFold(probe.ID, rule.ProbeID) {
			continue
		}
		if !strings.EqualFold(probe.Protocol, "Tcp") || probe.Port != proxyvm.ProxyPort {
			return conflict(fmt.Sprintf("probes %s on port %d, which fails against a TLS passthrough port; it needs a Tcp probe on 443", probe.Protocol, probe.Port))
		}
		return *rule, nil
	}
	return conflict("has no health probe on its 443 rule")
}

// checkOtherMembers returns a Conflict when the backend pool also holds IP
// configurations of other network interfaces than nic, such as the
// interface of an earlier azure.target_address or proxy VM. The pool would
// keep sending traffic to them. The load balancer records no member list, so
// the step cannot tell a member that an earlier run added from one that
// someone else added, and leaves the removal to a person.
func checkOtherMembers(lb cloud.AzureLoadBalancer, poolID string, nic *cloud.AzureNetworkInterface) error {
	for _, pool := range lb.BackendPools {
		if !strings.EqualFold(pool.ID, poolID) {
			continue
		}
		var others []string
		for _, member := range pool.IPConfigurationIDs {
			if !strings.EqualFold(member, nic.IPConfigurationID) {
				others = append(others, member)
			}
		}
		if len(others) > 0 {
			return workflow.Errorf(workflow.ErrConflict,
				"backend pool %s also sends traffic to %s, which the request does not name, such as the network interface of an earlier $.azure.target_address or proxy VM; remove those IP configurations from the pool and run again",
				poolID, strings.Join(others, ", "))
		}
	}
	return nil
}

// backendInterface returns the network interface that goes into the pool:
// the proxy VM's, or with proxy none the one that holds target_address.
// Load balancers behind a Private Link Service take only NIC-based
// backends, so a bare IP address cannot be the backend.
func backendInterface(ctx context.Context, network cloud.AzureNetwork, in workflow.Document) (*cloud.AzureNetworkInterface, error) {
	az := in.Request.Azure
	if az.Proxy == "none" {
		nic, err := network.FindNetworkInterfaceByIP(ctx, azureroute.VNetID(az), az.TargetAddress)
		if err != nil {
			return nil, fmt.Errorf("find the network interface of %s: %w", az.TargetAddress, err)
		}
		if nic == nil {
			return nil, workflow.Invalid(
				"no network interface in virtual network %s has $.azure.target_address %s; a load balancer in front of a Private Link Service takes only VM network interfaces as backends, so set the repository VM's private address or use proxy nginx",
				az.VNetName, az.TargetAddress)
		}
		return nic, nil
	}

	name := azureroute.NamesFor(in.Request).NetworkInterface
	nic, err := network.FindNetworkInterface(ctx, az.ResourceGroup, name)
	if err != nil {
		return nil, fmt.Errorf("find network interface %s: %w", name, err)
	}
	if nic == nil {
		return nil, workflow.Invalid("the proxy VM's network interface %s does not exist; run azure_proxy_vm first", name)
	}
	return nic, nil
}

// checkHealthy returns NotReady until the rule's probe reports a backend
// up.
func checkHealthy(ctx context.Context, network cloud.AzureNetwork, resourceGroup string, names azureroute.Names) error {
	health, err := network.RuleHealth(ctx, resourceGroup, names.LoadBalancer, names.Rule)
	if err != nil {
		return fmt.Errorf("read health of rule %s: %w", names.Rule, err)
	}
	var states []string
	for _, backend := range health {
		if strings.EqualFold(backend.State, "Up") {
			return nil
		}
		state := backend.IPAddress + " " + backend.State
		if backend.Reason != "" {
			state += " (" + backend.Reason + ")"
		}
		states = append(states, state)
	}
	if len(states) == 0 {
		states = append(states, "no backend in the pool")
	}
	return workflow.NotReady("no healthy backend behind the load balancer yet: %s; waiting for the TCP probe on 443 to succeed", strings.Join(states, ", "))
}
