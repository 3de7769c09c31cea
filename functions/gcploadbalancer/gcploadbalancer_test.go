package gcploadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const project = "corp-prod"

type network struct {
	cloud.GCPNetwork
	hc      *cloud.GCPHealthCheck
	rules   map[string]*cloud.GCPFirewallRule
	bs      *cloud.GCPBackendService
	fr      *cloud.GCPForwardingRule
	health  string
	updates []cloud.GCPFirewallRuleSpec
}

func (n *network) FindHealthCheck(context.Context, string, string) (*cloud.GCPHealthCheck, error) {
	return n.hc, nil
}

func (n *network) CreateHealthCheck(_ context.Context, spec cloud.GCPHealthCheckSpec) (cloud.GCPHealthCheck, error) {
	n.hc = &cloud.GCPHealthCheck{Name: spec.Name, Path: "projects/corp-prod/regions/us-central1/healthChecks/" + spec.Name, Type: "TCP", Port: spec.Port,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.hc, nil
}

func (n *network) FindFirewallRule(_ context.Context, name string) (*cloud.GCPFirewallRule, error) {
	return n.rules[name], nil
}

func (n *network) CreateFirewallRule(_ context.Context, spec cloud.GCPFirewallRuleSpec) (cloud.GCPFirewallRule, error) {
	n.rules[spec.Name] = &cloud.GCPFirewallRule{Name: spec.Name, Path: "projects/corp-prod/global/firewalls/" + spec.Name,
		Network: "projects/corp-prod/global/networks/" + spec.Network, Direction: "INGRESS",
		SourceRanges: spec.SourceRanges, TCPPorts: spec.TCPPorts, TargetTags: spec.TargetTags,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.rules[spec.Name], nil
}

func (n *network) UpdateFirewallRule(_ context.Context, spec cloud.GCPFirewallRuleSpec) error {
	n.updates = append(n.updates, spec)
	rule := n.rules[spec.Name]
	rule.SourceRanges, rule.TCPPorts, rule.TargetTags = spec.SourceRanges, spec.TCPPorts, spec.TargetTags
	return nil
}

func (n *network) FindBackendService(context.Context, string, string) (*cloud.GCPBackendService, error) {
	return n.bs, nil
}

func (n *network) CreateBackendService(_ context.Context, spec cloud.GCPBackendServiceSpec) (cloud.GCPBackendService, error) {
	n.bs = &cloud.GCPBackendService{Name: spec.Name, Path: "projects/corp-prod/regions/us-central1/backendServices/" + spec.Name,
		LoadBalancingScheme: "INTERNAL", Protocol: "TCP", HealthChecks: []string{spec.HealthCheck}, Groups: []string{spec.Group},
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.bs, nil
}

func (n *network) FindForwardingRule(context.Context, string, string) (*cloud.GCPForwardingRule, error) {
	return n.fr, nil
}

func (n *network) CreateForwardingRule(_ context.Context, spec cloud.GCPForwardingRuleSpec) (cloud.GCPForwardingRule, error) {
	n.fr = &cloud.GCPForwardingRule{Name: spec.Name, Path: "projects/corp-prod/regions/us-central1/forwardingRules/" + spec.Name,
		IPAddress: "10.10.0.3", IPProtocol: "TCP", LoadBalancingScheme: "INTERNAL", Ports: []string{"443"}, BackendService: spec.BackendService,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.fr, nil
}

func (n *network) BackendHealth(context.Context, string, string, string) ([]cloud.GCPBackendHealth, error) {
	return []cloud.GCPBackendHealth{{Instance: "projects/corp-prod/zones/us-central1-a/instances/proxy", State: n.health}}, nil
}

func testRequest(proxy string) request.Request {
	req := request.Request{ID: "T-1", GCP: &request.GCP{
		Project: project, Region: "us-central1", Zone: "us-central1-a", Network: "vpc", Subnet: "apps", Proxy: proxy,
	}}
	if proxy == "none" {
		req.GCP.TargetTags = []string{"pypi"}
	}
	return req
}

func run(t *testing.T, fake *network, req request.Request, execution string) (Output, error) {
	t.Helper()
	if fake.rules == nil {
		fake.rules = map[string]*cloud.GCPFirewallRule{}
	}
	env := &workflow.Env{GCP: func(context.Context, string) (cloud.GCPNetwork, error) { return fake, nil }}
	doc := workflow.Document{
		Request:   req,
		Resources: workflow.Resources{ProxyVM: &workflow.ProxyVM{Result: workflow.Result{ID: "projects/corp-prod/zones/us-central1-a/instances/proxy"}}},
		Execution: execution,
	}
	return Run(context.Background(), env, doc)
}

func TestRunWaitsForHealthyBackend(t *testing.T) {
	fake := &network{health: "UNHEALTHY"}
	_, err := run(t, fake, testRequest("nginx"), "exec-1")
	if workflow.NameOf(err) != workflow.ErrNotReady || !strings.Contains(err.Error(), "35.191.0.0/16") {
		t.Fatalf("error %v, want NotReady that names the health-check ranges", err)
	}
	fake.health = "HEALTHY"
	out, err := run(t, fake, testRequest("nginx"), "exec-1")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Created || out.ID != fake.fr.Path || out.IPAddress != "10.10.0.3" {
		t.Errorf("output = %+v", out)
	}
	again, err := run(t, fake, testRequest("nginx"), "exec-2")
	if err != nil || again.Action != workflow.Adopted {
		t.Errorf("later run = %+v, %v; want adopted", again, err)
	}
}

func TestRunHealthFirewallRule(t *testing.T) {
	names := gcproute.NamesFor(testRequest("nginx"))
	tests := []struct {
		name     string
		proxy    string
		existing *cloud.GCPFirewallRule
		wantTags []string
		repaired bool
	}{
		{name: "created for the proxy tag", proxy: "nginx", wantTags: []string{names.NetworkTag}},
		{name: "created for the repository tags with proxy none", proxy: "none", wantTags: []string{"pypi"}},
		{name: "network-wide rule narrowed with proxy none", proxy: "none", repaired: true, wantTags: []string{"pypi"}, existing: &cloud.GCPFirewallRule{
			Name: names.HealthFirewall, Network: "projects/corp-prod/global/networks/vpc", Direction: "INGRESS",
			SourceRanges: cloud.GCPHealthCheckRanges, TCPPorts: []string{"443"},
			Tags: map[string]string{cloud.TagRequest: "T-1"},
		}},
		{name: "missing range repaired", proxy: "nginx", repaired: true, wantTags: []string{names.NetworkTag}, existing: &cloud.GCPFirewallRule{
			Name: names.HealthFirewall, Network: "projects/corp-prod/global/networks/vpc", Direction: "INGRESS",
			SourceRanges: []string{"35.191.0.0/16"}, TCPPorts: []string{"443"}, TargetTags: []string{names.NetworkTag},
			Tags: map[string]string{cloud.TagRequest: "T-1"},
		}},
		{name: "wrong port repaired", proxy: "nginx", repaired: true, wantTags: []string{names.NetworkTag}, existing: &cloud.GCPFirewallRule{
			Name: names.HealthFirewall, Network: "projects/corp-prod/global/networks/vpc", Direction: "INGRESS",
			SourceRanges: cloud.GCPHealthCheckRanges, TCPPorts: []string{"80"}, TargetTags: []string{names.NetworkTag},
			Tags: map[string]string{cloud.TagRequest: "T-1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{health: "HEALTHY", rules: map[string]*cloud.GCPFirewallRule{}}
			if tt.existing != nil {
				fake.rules[names.HealthFirewall] = tt.existing
			}
			out, err := run(t, fake, testRequest(tt.proxy), "exec-1")
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			rule := fake.rules[names.HealthFirewall]
			if diff := cmp.Diff(cloud.GCPHealthCheckRanges, rule.SourceRanges); diff != "" {
				t.Errorf("source ranges (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"443"}, rule.TCPPorts); diff != "" {
				t.Errorf("ports (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTags, rule.TargetTags); diff != "" {
				t.Errorf("target tags (-want +got):\n%s", diff)
			}
			if got := len(fake.updates) == 1; got != tt.repaired {
				t.Errorf("rule updated = %v, want %v", got, tt.repaired)
			}
			if out.Action != workflow.Created {
				t.Errorf("action = %q, want created", out.Action)
			}
		})
	}
}

func TestRunRejectsWrongHealthCheck(t *testing.T) {
	fake := &network{health: "HEALTHY", hc: &cloud.GCPHealthCheck{Path: "projects/corp-prod/regions/us-central1/healthChecks/x", Type: "HTTP", Port: 80}}
	_, err := run(t, fake, testRequest("nginx"), "exec-1")
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Errorf("error %v, want Conflict for an HTTP health check", err)
	}
}
