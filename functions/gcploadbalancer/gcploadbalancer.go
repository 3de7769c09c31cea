// Package gcploadbalancer builds the internal passthrough network load
// balancer in front of the proxy VM. It consists of a TCP health check on
// port 443, the firewall rule that lets Google Cloud's health checks reach
// the VM, a regional internal backend service with the instance group, and
// an internal TCP forwarding rule on port 443.
package gcploadbalancer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the forwarding rule and the resources behind it.
type Output struct {
	workflow.Result
	IPAddress      string `json:"ip_address"`
	BackendService string `json:"backend_service"`
	HealthCheck    string `json:"health_check"`
	Firewall       string `json:"firewall"`
}

// Run finds or creates each part of the load balancer and returns NotReady
// until the backend service reports the VM HEALTHY, because a service
// attachment in front of an unhealthy backend accepts connections that go
// nowhere.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if in.Resources.ProxyVM == nil {
		return Output{}, workflow.Invalid("the load balancer needs the proxy VM and its instance group; run the gcp_proxy_vm step first")
	}
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	g := req.GCP
	names := gcproute.NamesFor(req)
	group := "projects/" + g.Project + "/zones/" + g.Zone + "/instanceGroups/" + names.InstanceGroup

	hc, hcAction, err := ensureHealthCheck(ctx, network, in, names)
	if err != nil {
		return Output{}, err
	}
	fw, fwAction, err := EnsureFirewall(ctx, network, in, names.HealthFirewall, cloud.GCPHealthCheckRanges)
	if err != nil {
		return Output{}, err
	}
	bs, bsAction, err := ensureBackendService(ctx, network, in, names, hc.Path, group)
	if err != nil {
		return Output{}, err
	}
	fr, frAction, err := ensureForwardingRule(ctx, network, in, names, bs.Path)
	if err != nil {
		return Output{}, err
	}
	if err := checkHealthy(ctx, network, g.Region, bs.Path, group); err != nil {
		return Output{}, err
	}
	return Output{
		Result: workflow.Result{
			Action: gcproute.Combine(hcAction, fwAction, bsAction, frAction),
			ID:     fr.Path,
			Related: []workflow.Result{
				{Action: bsAction, ID: bs.Path},
				{Action: hcAction, ID: hc.Path},
				{Action: fwAction, ID: fw.Path},
			},
		},
		IPAddress:      fr.IPAddress,
		BackendService: bs.Path,
		HealthCheck:    hc.Path,
		Firewall:       fw.Path,
	}, nil
}

func ensureHealthCheck(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, names gcproute.Names) (*cloud.GCPHealthCheck, string, error) {
	req := in.Request
	hc, err := network.FindHealthCheck(ctx, req.GCP.Region, names.HealthCheck)
	if err != nil {
		return nil, "", fmt.Errorf("find health check %s: %w", names.HealthCheck, err)
	}
	if hc == nil {
		created, err := network.CreateHealthCheck(ctx, cloud.GCPHealthCheckSpec{
			Name: names.HealthCheck, RequestID: req.ID, Region: req.GCP.Region, Port: gcproute.ProxyPort,
			Tags: map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return nil, "", fmt.Errorf("create health check %s: %w", names.HealthCheck, err)
		}
		hc = &created
	}
	if err := gcproute.CheckOwner("health check", hc.Path, hc.Tags, req.ID); err != nil {
		return nil, "", err
	}
	if hc.Type != "TCP" || hc.Port != gcproute.ProxyPort {
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"health check %s is %s on port %d, but the proxy passes TLS through on TCP port %d; delete it so that a TCP check is created",
			hc.Path, hc.Type, hc.Port, gcproute.ProxyPort)
	}
	return hc, workflow.ActionFor(hc.Tags, in.Execution), nil
}

// EnsureFirewall finds or creates the ingress rule called name that lets
// sources reach TCP port 443 of the proxy VM, or with proxy none of the VMs
// with gcp.target_tags. It repairs an existing rule of the request whose
// ports, sources or target tags fall short.
func EnsureFirewall(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, name string, sources []string) (*cloud.GCPFirewallRule, string, error) {
	req := in.Request
	spec := cloud.GCPFirewallRuleSpec{
		Name: name, RequestID: req.ID, Network: req.GCP.Network,
		TCPPorts: []string{strconv.Itoa(gcproute.ProxyPort)}, SourceRanges: sources,
		TargetTags: targetTags(req),
		Tags:       map[string]string{cloud.TagExecution: in.Execution},
	}
	rule, err := network.FindFirewallRule(ctx, name)
	if err != nil {
		return nil, "", fmt.Errorf("find firewall rule %s: %w", name, err)
	}
	if rule == nil {
		created, err := network.CreateFirewallRule(ctx, spec)
		if err != nil {
			return nil, "", fmt.Errorf("create firewall rule %s: %w", name, err)
		}
		return &created, workflow.Created, nil
	}
	if err := gcproute.CheckOwner("firewall rule", rule.Path, rule.Tags, req.ID); err != nil {
		return nil, "", err
	}
	if covers(rule, spec) {
		return rule, workflow.ActionFor(rule.Tags, in.Execution), nil
	}
	spec.Tags = rule.Tags
	if err := network.UpdateFirewallRule(ctx, spec); err != nil {
		return nil, "", fmt.Errorf("repair firewall rule %s: %w", name, err)
	}
	return rule, workflow.Updated, nil
}

// targetTags limits the firewall rules to the proxy VM, or with proxy none
// to the repository's VM through the network tags that the request names.
// Validation rejects proxy none without them, because a rule without
// target tags applies to every VM in the network.
func targetTags(req request.Request) []string {
	if req.GCP.Proxy == "none" {
		return req.GCP.TargetTags
	}
	return []string{gcproute.NamesFor(req).NetworkTag}
}

// covers reports whether rule allows the ports and sources of spec, for
// the same target tags.
func covers(rule *cloud.GCPFirewallRule, spec cloud.GCPFirewallRuleSpec) bool {
	if rule.Disabled || rule.Direction != "INGRESS" || !strings.HasSuffix(rule.Network, "/networks/"+spec.Network) {
		return false
	}
	if !slices.Contains(rule.TCPPorts, spec.TCPPorts[0]) && !slices.Contains(rule.TCPPorts, "0-65535") {
		return false
	}
	for _, source := range spec.SourceRanges {
		if !slices.Contains(rule.SourceRanges, source) {
			return false
		}
	}
	return slices.Equal(rule.TargetTags, spec.TargetTags)
}

func ensureBackendService(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, names gcproute.Names, healthCheck, group string) (*cloud.GCPBackendService, string, error) {
	req := in.Request
	bs, err := network.FindBackendService(ctx, req.GCP.Region, names.BackendService)
	if err != nil {
		return nil, "", fmt.Errorf("find backend service %s: %w", names.BackendService, err)
	}
	if bs == nil {
		created, err := network.CreateBackendService(ctx, cloud.GCPBackendServiceSpec{
			Name: names.BackendService, RequestID: req.ID, Region: req.GCP.Region, Network: req.GCP.Network,
			HealthCheck: healthCheck, Group: group,
			Tags: map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return nil, "", fmt.Errorf("create backend service %s: %w", names.BackendService, err)
		}
		bs = &created
	}
	if err := gcproute.CheckOwner("backend service", bs.Path, bs.Tags, req.ID); err != nil {
		return nil, "", err
	}
	if bs.LoadBalancingScheme != cloud.GCPSchemeInternal || bs.Protocol != "TCP" {
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"backend service %s is %s %s, not INTERNAL TCP; delete it so that an internal passthrough one is created", bs.Path, bs.LoadBalancingScheme, bs.Protocol)
	}
	if !slices.ContainsFunc(bs.Groups, func(p string) bool { return gcproute.SamePath(p, group) }) {
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"backend service %s does not use instance group %s; delete it so that it is created with the group", bs.Path, group)
	}
	return bs, workflow.ActionFor(bs.Tags, in.Execution), nil
}

func ensureForwardingRule(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, names gcproute.Names, backendService string) (*cloud.GCPForwardingRule, string, error) {
	req := in.Request
	fr, err := network.FindForwardingRule(ctx, req.GCP.Region, names.ForwardingRule)
	if err != nil {
		return nil, "", fmt.Errorf("find forwarding rule %s: %w", names.ForwardingRule, err)
	}
	if fr == nil {
		created, err := network.CreateForwardingRule(ctx, cloud.GCPForwardingRuleSpec{
			Name: names.ForwardingRule, RequestID: req.ID, Region: req.GCP.Region, BackendService: backendService,
			Network: req.GCP.Network, Subnetwork: req.GCP.Subnet, Port: gcproute.ProxyPort,
			Tags: map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return nil, "", fmt.Errorf("create forwarding rule %s: %w", names.ForwardingRule, err)
		}
		fr = &created
	}
	if err := gcproute.CheckOwner("forwarding rule", fr.Path, fr.Tags, req.ID); err != nil {
		return nil, "", err
	}
	port := strconv.Itoa(gcproute.ProxyPort)
	switch {
	case fr.LoadBalancingScheme != cloud.GCPSchemeInternal || fr.IPProtocol != "TCP":
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"forwarding rule %s is %s %s, not INTERNAL TCP; delete it so that an internal one is created", fr.Path, fr.LoadBalancingScheme, fr.IPProtocol)
	case !fr.AllPorts && !slices.Contains(fr.Ports, port):
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"forwarding rule %s forwards ports %v, not %s; delete it so that it is created on port %s", fr.Path, fr.Ports, port, port)
	case !gcproute.SamePath(fr.BackendService, backendService):
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"forwarding rule %s forwards to %s, not %s; delete it so that it is created again", fr.Path, fr.BackendService, backendService)
	}
	return fr, workflow.ActionFor(fr.Tags, in.Execution), nil
}

// checkHealthy returns NotReady until an instance of the group is HEALTHY.
func checkHealthy(ctx context.Context, network cloud.GCPNetwork, region, backendService, group string) error {
	health, err := network.BackendHealth(ctx, region, backendService, group)
	if err != nil {
		return fmt.Errorf("read backend health of %s: %w", backendService, err)
	}
	states := make([]string, 0, len(health))
	for _, h := range health {
		if h.State == "HEALTHY" {
			return nil
		}
		states = append(states, h.Instance+" "+h.State)
	}
	if len(states) == 0 {
		states = append(states, "no instance in the group")
	}
	return workflow.NotReady("no healthy backend behind %s yet (%s); waiting for the VM to pass the TCP health check on port %d from %s",
		backendService, strings.Join(states, ", "), gcproute.ProxyPort, strings.Join(cloud.GCPHealthCheckRanges, " and "))
}
