package gcpserviceattachment

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	networkPath = "projects/corp-prod/global/networks/vpc"
	frPath      = "projects/corp-prod/regions/us-central1/forwardingRules/rl-fr"
)

type network struct {
	cloud.GCPNetwork
	subnet   *cloud.GCPSubnetwork
	sa       *cloud.GCPServiceAttachment
	rules    map[string]*cloud.GCPFirewallRule
	subnets  []cloud.GCPSubnetworkSpec
	attached []cloud.GCPServiceAttachmentSpec
	// insertErr fails CreateServiceAttachment, which then also deletes
	// the subnet when deleteSubnet is set.
	insertErr    error
	deleteSubnet bool
}

func (n *network) FindForwardingRule(context.Context, string, string) (*cloud.GCPForwardingRule, error) {
	return &cloud.GCPForwardingRule{Path: frPath, Region: "us-central1", Network: networkPath}, nil
}

func (n *network) FindSubnetwork(context.Context, string, string) (*cloud.GCPSubnetwork, error) {
	return n.subnet, nil
}

func (n *network) CreateSubnetwork(_ context.Context, spec cloud.GCPSubnetworkSpec) (cloud.GCPSubnetwork, error) {
	n.subnets = append(n.subnets, spec)
	n.subnet = &cloud.GCPSubnetwork{
		Name: spec.Name, Path: "projects/corp-prod/regions/us-central1/subnetworks/" + spec.Name, Region: spec.Region,
		Network: "projects/corp-prod/global/networks/" + spec.Network, IPCIDRRange: spec.IPCIDRRange, Purpose: spec.Purpose,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]},
	}
	return *n.subnet, nil
}

func (n *network) FindFirewallRule(_ context.Context, name string) (*cloud.GCPFirewallRule, error) {
	return n.rules[name], nil
}

func (n *network) CreateFirewallRule(_ context.Context, spec cloud.GCPFirewallRuleSpec) (cloud.GCPFirewallRule, error) {
	rule := &cloud.GCPFirewallRule{Name: spec.Name, Path: "projects/corp-prod/global/firewalls/" + spec.Name, Network: networkPath,
		Direction: "INGRESS", SourceRanges: spec.SourceRanges, TCPPorts: spec.TCPPorts, TargetTags: spec.TargetTags,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID}}
	n.rules[spec.Name] = rule
	return *rule, nil
}

func (n *network) FindServiceAttachment(context.Context, string, string) (*cloud.GCPServiceAttachment, error) {
	return n.sa, nil
}

func (n *network) CreateServiceAttachment(_ context.Context, spec cloud.GCPServiceAttachmentSpec) (cloud.GCPServiceAttachment, error) {
	if n.insertErr != nil {
		if n.deleteSubnet {
			n.subnet = nil
		}
		return cloud.GCPServiceAttachment{}, n.insertErr
	}
	n.attached = append(n.attached, spec)
	n.sa = &cloud.GCPServiceAttachment{Name: spec.Name, Path: "projects/corp-prod/regions/us-central1/serviceAttachments/" + spec.Name,
		ConnectionPreference: "ACCEPT_MANUAL", TargetService: spec.TargetService, NATSubnets: spec.NATSubnets,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.sa, nil
}

type configConn struct{ config string }

func (c configConn) Exec(context.Context, string) error { return nil }
func (c configConn) Query(context.Context, string) ([]snowflake.Row, error) {
	return []snowflake.Row{{"config": c.config}}, nil
}

func run(t *testing.T, fake *network) (Output, error) {
	t.Helper()
	if fake.rules == nil {
		fake.rules = map[string]*cloud.GCPFirewallRule{}
	}
	env := &workflow.Env{
		GCP: func(context.Context, string) (cloud.GCPNetwork, error) { return fake, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return configConn{`{"privatelink-gcp-service-attachment":"projects/sf-psc/regions/us-central1/serviceAttachments/sf"}`}, nil
		},
	}
	doc := workflow.Document{
		Request: request.Request{ID: "T-1", GCP: &request.GCP{
			Project: "corp-prod", Region: "us-central1", Zone: "us-central1-a", Network: "vpc", Subnet: "apps",
			PSCSubnet: "psc-nat", PSCSubnetCIDR: "192.168.255.0/28", Proxy: "nginx",
		}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: frPath}}},
		Execution: "exec-1",
	}
	return Run(context.Background(), env, doc)
}

func TestRunCreatesSubnetAndAttachment(t *testing.T) {
	fake := &network{}
	out, err := run(t, fake)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(fake.subnets) != 1 || fake.subnets[0].Purpose != cloud.GCPPurposePSC || fake.subnets[0].IPCIDRRange != "192.168.255.0/28" {
		t.Errorf("subnets created = %+v; want one PSC subnet 192.168.255.0/28", fake.subnets)
	}
	if len(fake.attached) != 1 || fake.attached[0].TargetService != frPath || len(fake.attached[0].ConsumerAcceptLists) != 0 {
		t.Errorf("attachments created = %+v; want one for %s with an empty accept list", fake.attached, frPath)
	}
	names := gcproute.NamesFor(request.Request{ID: "T-1"})
	rule := fake.rules[names.NATFirewall]
	if rule == nil || strings.Join(rule.SourceRanges, ",") != "192.168.255.0/28" || strings.Join(rule.TCPPorts, ",") != "443" {
		t.Errorf("NAT firewall rule = %+v; want port 443 from 192.168.255.0/28", rule)
	}
	if out.Action != workflow.Created || out.ServiceName != "projects/corp-prod/regions/us-central1/serviceAttachments/"+names.ServiceAttachment || out.Principal != "sf-psc" {
		t.Errorf("output = %+v", out)
	}
	// The output lists the subnet and the NAT firewall rule that the step
	// created along with the attachment, so that run and status show them.
	wantRelated := []workflow.Result{
		{Action: workflow.Created, ID: fake.subnet.Path},
		{Action: workflow.Created, ID: rule.Path},
	}
	if diff := cmp.Diff(wantRelated, out.Related); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}

	again, err := run(t, fake)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if len(fake.subnets) != 1 || len(fake.attached) != 1 {
		t.Errorf("second run created more: %d subnets, %d attachments", len(fake.subnets), len(fake.attached))
	}
	if again.Action != workflow.Created {
		t.Errorf("second run in the same execution reports %q, want created", again.Action)
	}
}

func TestRunInsertFailure(t *testing.T) {
	insertErr := workflow.Invalid("gcp: insert service attachment: HTTP 400 invalid: The referenced subnetwork resource cannot be found.")
	cases := []struct {
		name         string
		deleteSubnet bool
		wantErr      string
	}{
		{"subnet deleted meanwhile", true, workflow.ErrNotReady},
		{"subnet still there", false, workflow.ErrInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &network{insertErr: insertErr, deleteSubnet: tc.deleteSubnet}
			_, err := run(t, fake)
			if got := workflow.NameOf(err); got != tc.wantErr {
				t.Errorf("Run = %v, want error name %q", err, tc.wantErr)
			}
		})
	}
}

func TestRunChecksNATSubnet(t *testing.T) {
	base := cloud.GCPSubnetwork{Name: "psc-nat", Path: "projects/corp-prod/regions/us-central1/subnetworks/psc-nat", Region: "us-central1",
		Network: networkPath, IPCIDRRange: "192.168.255.0/28", Purpose: cloud.GCPPurposePSC}
	tests := []struct {
		name  string
		edit  func(*cloud.GCPSubnetwork)
		words string
	}{
		{"purpose PRIVATE", func(s *cloud.GCPSubnetwork) { s.Purpose = "PRIVATE" }, "purpose PRIVATE"},
		{"purpose empty", func(s *cloud.GCPSubnetwork) { s.Purpose = "" }, "purpose PRIVATE"},
		{"other network", func(s *cloud.GCPSubnetwork) { s.Network = "projects/corp-prod/global/networks/other" }, "networks/other"},
		{"other region", func(s *cloud.GCPSubnetwork) { s.Region = "europe-west1" }, "europe-west1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subnet := base
			tt.edit(&subnet)
			fake := &network{subnet: &subnet}
			_, err := run(t, fake)
			if workflow.NameOf(err) != workflow.ErrInvalidRequest {
				t.Fatalf("error %v, want InvalidRequest", err)
			}
			if !strings.Contains(err.Error(), tt.words) || !strings.Contains(err.Error(), "gcp.psc_subnet") {
				t.Errorf("error %q does not name %q and the field to change", err, tt.words)
			}
			if !strings.Contains(err.Error(), "run 'repolink teardown exec-1'") {
				t.Errorf("error %q does not advise the teardown of exec-1 first", err)
			}
			if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
				t.Errorf("NeedsTeardownFirst is false for %q", err)
			}
			if len(fake.attached) != 0 {
				t.Error("an attachment was created on a bad NAT subnet")
			}
		})
	}
}

func TestRunRejectsUnsafeAttachment(t *testing.T) {
	tests := []struct {
		name  string
		sa    cloud.GCPServiceAttachment
		words string
	}{
		{"automatic acceptance", cloud.GCPServiceAttachment{ConnectionPreference: "ACCEPT_AUTOMATIC", TargetService: frPath}, "ACCEPT_AUTOMATIC"},
		{"PROXY protocol", cloud.GCPServiceAttachment{ConnectionPreference: "ACCEPT_MANUAL", EnableProxyProtocol: true, TargetService: frPath}, "PROXY protocol"},
		{"other target", cloud.GCPServiceAttachment{ConnectionPreference: "ACCEPT_MANUAL", TargetService: "projects/corp-prod/regions/us-central1/forwardingRules/x"}, "forwardingRules/x"},
		{"other request", cloud.GCPServiceAttachment{ConnectionPreference: "ACCEPT_MANUAL", TargetService: frPath, Tags: map[string]string{cloud.TagRequest: "T-2"}}, "T-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa := tt.sa
			sa.Path = "projects/corp-prod/regions/us-central1/serviceAttachments/rl-sa"
			_, err := run(t, &network{sa: &sa})
			if workflow.NameOf(err) != workflow.ErrConflict {
				t.Fatalf("error %v, want Conflict", err)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Errorf("error %q does not mention %q", err, tt.words)
			}
		})
	}
}

func TestConsumerProject(t *testing.T) {
	tests := map[string]string{
		`{"privatelink-gcp-service-attachment":"projects/sf-psc/regions/us-central1/serviceAttachments/sf"}`: "sf-psc",
		`{"privatelink-account-principal":"arn:aws:iam::123456789012:root"}`:                                 "",
	}
	for config, want := range tests {
		got, err := ConsumerProject(context.Background(), configConn{config})
		if err != nil || got != want {
			t.Errorf("ConsumerProject(%s) = %q, %v; want %q", config, got, err, want)
		}
	}
}

func TestRunRejectsOtherSubnetRange(t *testing.T) {
	subnet := cloud.GCPSubnetwork{Name: "psc-nat", Path: "projects/corp-prod/regions/us-central1/subnetworks/psc-nat", Region: "us-central1",
		Network: networkPath, IPCIDRRange: "192.168.250.0/28", Purpose: cloud.GCPPurposePSC}
	fake := &network{subnet: &subnet}
	_, err := run(t, fake)
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("error name = %q (%v), want %q", got, err, workflow.ErrConflict)
	}
	for _, words := range []string{"$.gcp.psc_subnet_cidr", "192.168.250.0/28", "192.168.255.0/28"} {
		if !strings.Contains(err.Error(), words) {
			t.Errorf("error %q does not contain %q", err, words)
		}
	}
	if !strings.Contains(err.Error(), "run 'repolink teardown exec-1'") {
		t.Errorf("error %q does not advise the teardown of exec-1 first", err)
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
	if len(fake.attached) != 0 {
		t.Error("an attachment was created on a subnet with another range")
	}
	if len(fake.rules) != 0 {
		t.Errorf("firewall rules created: %v", fake.rules)
	}
}

// countingConn is a configConn that counts its queries.
type countingConn struct {
	configConn
	queries *int
}

func (c countingConn) Query(ctx context.Context, stmt string) ([]snowflake.Row, error) {
	*c.queries++
	return c.configConn.Query(ctx, stmt)
}

func TestRunReadsConfigOnce(t *testing.T) {
	fake := &network{rules: map[string]*cloud.GCPFirewallRule{}}
	queries := 0
	conn := countingConn{configConn: configConn{`{"privatelink-gcp-service-attachment":"projects/sf-psc/regions/us-central1/serviceAttachments/sf"}`},
		queries: &queries}
	env := &workflow.Env{
		GCP:       func(context.Context, string) (cloud.GCPNetwork, error) { return fake, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
	}
	doc := workflow.Document{
		Request: request.Request{ID: "T-1", Route: request.RouteGCPPrivateLink, GCP: &request.GCP{
			Project: "corp-prod", Region: "us-central1", Zone: "us-central1-a", Network: "vpc", Subnet: "apps",
			PSCSubnet: "psc-nat", PSCSubnetCIDR: "192.168.255.0/28", Proxy: "nginx",
		}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: frPath}}},
		Execution: "exec-1",
	}

	if _, err := Run(t.Context(), env, doc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if queries != 1 {
		t.Errorf("Run sent %d queries, want 1 read of SYSTEM$GET_PRIVATELINK_CONFIG", queries)
	}
}
