package teardowngcp

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

const requestID = "DATA-4912"

var mine = map[string]string{cloud.TagRequest: requestID}

// network is a Compute Engine project with at most one resource of each
// kind used here; it records the deletes.
type network struct {
	cloud.GCPNetwork
	sa        *cloud.GCPServiceAttachment
	others    []cloud.GCPServiceAttachment
	subnet    *cloud.GCPSubnetwork
	fr        *cloud.GCPForwardingRule
	firewalls map[string]*cloud.GCPFirewallRule
	// otherRules are firewall rules that FindFirewallRule does not find.
	otherRules []cloud.GCPFirewallRule
	deleteErr  error
	deleted    []string
}

func (n *network) FindServiceAttachment(context.Context, string, string) (*cloud.GCPServiceAttachment, error) {
	return n.sa, nil
}

func (n *network) DeleteServiceAttachment(_ context.Context, _, name string) error {
	n.deleted = append(n.deleted, "service attachment "+name)
	return n.deleteErr
}

// ListServiceAttachments returns the request's attachment, if any, and
// the others.
func (n *network) ListServiceAttachments(context.Context, string) ([]cloud.GCPServiceAttachment, error) {
	out := append([]cloud.GCPServiceAttachment(nil), n.others...)
	if n.sa != nil {
		out = append(out, *n.sa)
	}
	return out, nil
}

func (n *network) FindSubnetwork(context.Context, string, string) (*cloud.GCPSubnetwork, error) {
	return n.subnet, nil
}

func (n *network) DeleteSubnetwork(_ context.Context, _, name string) error {
	n.deleted = append(n.deleted, "subnetwork "+name)
	return n.deleteErr
}

func (n *network) FindForwardingRule(context.Context, string, string) (*cloud.GCPForwardingRule, error) {
	return n.fr, nil
}

func (n *network) DeleteForwardingRule(_ context.Context, _, name string) error {
	n.deleted = append(n.deleted, "forwarding rule "+name)
	return n.deleteErr
}

func (n *network) FindFirewallRule(_ context.Context, name string) (*cloud.GCPFirewallRule, error) {
	return n.firewalls[name], nil
}

// ListFirewallRules returns the rules that FindFirewallRule finds and the
// other requests' rules.
func (n *network) ListFirewallRules(context.Context) ([]cloud.GCPFirewallRule, error) {
	out := append([]cloud.GCPFirewallRule(nil), n.otherRules...)
	for _, rule := range n.firewalls {
		out = append(out, *rule)
	}
	return out, nil
}

func (n *network) DeleteFirewallRule(_ context.Context, name string) error {
	n.deleted = append(n.deleted, "firewall rule "+name)
	return n.deleteErr
}

func document() workflow.Document {
	return workflow.Document{Request: request.Request{ID: requestID, Route: request.RouteGCPPrivateLink,
		GCP: &request.GCP{Project: "corp", Region: "us-central1", Zone: "us-central1-a", PSCSubnet: "snet-psc"}}}
}

func run(t *testing.T, n *network, step func(context.Context, *workflow.Env, workflow.Document) (Output, error)) (Output, error) {
	t.Helper()
	env := &workflow.Env{GCP: func(context.Context, string) (cloud.GCPNetwork, error) { return n, nil }}
	return step(context.Background(), env, document())
}

func TestConnectionsWaitsForLiveEndpoints(t *testing.T) {
	n := &network{sa: &cloud.GCPServiceAttachment{Path: "projects/corp/regions/us-central1/serviceAttachments/sa", Tags: mine,
		ConnectedEndpoints: []cloud.GCPConnectedEndpoint{{Endpoint: "old", Status: "REJECTED"}, {Endpoint: "sf", Status: "ACCEPTED"}}}}
	if _, err := run(t, n, Connections); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("Connections with an accepted endpoint = %v, want NotReady", err)
	}

	n.sa.ConnectedEndpoints[1].Status = "CLOSED"
	out, err := run(t, n, Connections)
	if err != nil {
		t.Fatalf("Connections with no live endpoint: %v", err)
	}
	if diff := cmp.Diff(Output{Action: workflow.Checked, ID: n.sa.Path}, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestServiceAttachment(t *testing.T) {
	cases := []struct {
		name       string
		n          *network
		wantAction string
		wantErr    string
		wantDelete int
	}{
		{"own attachment", &network{sa: &cloud.GCPServiceAttachment{Path: "p/sa", Tags: mine}}, workflow.Deleted, "", 1},
		{"endpoints left", &network{sa: &cloud.GCPServiceAttachment{Path: "p/sa", Tags: mine}, deleteErr: workflow.NotReady("in use")}, "", workflow.ErrNotReady, 1},
		{"another request's attachment", &network{sa: &cloud.GCPServiceAttachment{Path: "p/sa", Tags: map[string]string{cloud.TagRequest: "DATA-1"}}}, "", workflow.ErrConflict, 0},
		{"no attachment", &network{}, workflow.Skipped, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.n, ServiceAttachment)
			if got := workflow.NameOf(err); got != tc.wantErr {
				t.Errorf("error = %v, want name %q", err, tc.wantErr)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
			if len(tc.n.deleted) != tc.wantDelete {
				t.Errorf("deleted %v, want %d deletes", tc.n.deleted, tc.wantDelete)
			}
		})
	}
}

func TestPSCSubnetOnlyWhenCreated(t *testing.T) {
	cases := []struct {
		name       string
		subnet     *cloud.GCPSubnetwork
		wantAction string
		wantDelete []string
	}{
		{"created for the request", &cloud.GCPSubnetwork{Path: "p/snet-psc", Tags: mine}, workflow.Deleted, []string{"subnetwork snet-psc"}},
		{"existed before", &cloud.GCPSubnetwork{Path: "p/snet-psc"}, workflow.Skipped, nil},
		{"another request's, unused", &cloud.GCPSubnetwork{Path: "p/snet-psc", Tags: map[string]string{cloud.TagRequest: "DATA-1"}}, workflow.Deleted, []string{"subnetwork snet-psc"}},
		{"gone", nil, workflow.Skipped, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &network{subnet: tc.subnet}
			out, err := run(t, n, PSCSubnet)
			if err != nil {
				t.Fatalf("PSCSubnet: %v", err)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
			if diff := cmp.Diff(tc.wantDelete, n.deleted); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPSCSubnetKeptWhileShared(t *testing.T) {
	subnet := &cloud.GCPSubnetwork{Path: "projects/corp/regions/us-central1/subnetworks/snet-psc", Tags: mine}
	other := cloud.GCPServiceAttachment{Name: "rl-data-1-sa", Path: "projects/corp/regions/us-central1/serviceAttachments/rl-data-1-sa",
		NATSubnets: []string{"https://www.googleapis.com/compute/v1/" + subnet.Path}}
	n := &network{subnet: subnet, others: []cloud.GCPServiceAttachment{other}}
	out, err := run(t, n, PSCSubnet)
	if err != nil {
		t.Fatalf("PSCSubnet: %v", err)
	}
	if out.Action != workflow.Kept {
		t.Errorf("action = %q, want %q", out.Action, workflow.Kept)
	}
	if !strings.Contains(out.Reason, other.Path) {
		t.Errorf("reason %q does not name %s", out.Reason, other.Path)
	}
	if len(n.deleted) != 0 {
		t.Errorf("deleted %v, want nothing", n.deleted)
	}

	// The request's own attachment, still going away, does not keep it.
	own := cloud.GCPServiceAttachment{Name: namesFor(document()).ServiceAttachment, Path: "p/own", NATSubnets: []string{subnet.Path}, Tags: mine}
	n = &network{subnet: subnet, sa: &own}
	out, err = run(t, n, PSCSubnet)
	if err != nil || out.Action != workflow.Deleted {
		t.Errorf("PSCSubnet with only the own attachment = %+v, %v; want deleted", out, err)
	}
}

func TestPSCSubnetKeptForPendingRequest(t *testing.T) {
	subnet := &cloud.GCPSubnetwork{Path: "projects/corp/regions/us-central1/subnetworks/snet-psc", Tags: mine,
		Network: "projects/corp/global/networks/vpc", IPCIDRRange: "192.168.255.0/28"}
	other := "DATA-1"
	otherRule := func(name, network, source string) cloud.GCPFirewallRule {
		return cloud.GCPFirewallRule{Name: name, Path: "projects/corp/global/firewalls/" + name,
			Network: network, SourceRanges: []string{source}, Tags: map[string]string{cloud.TagRequest: other}}
	}
	natRule := gcproute.NamesFor(request.Request{ID: other}).NATFirewall
	otherAttachment := cloud.GCPServiceAttachment{Path: "projects/corp/regions/us-central1/serviceAttachments/other-sa",
		NATSubnets: []string{subnet.Path}, Tags: map[string]string{cloud.TagRequest: other}}

	cases := []struct {
		name        string
		rules       []cloud.GCPFirewallRule
		attachments []cloud.GCPServiceAttachment
		wantAction  string
		// wantReason is text that the reason of a kept subnet contains.
		wantReason string
	}{
		{"NAT rule of a pending request", []cloud.GCPFirewallRule{otherRule(natRule, subnet.Network, subnet.IPCIDRRange)}, nil,
			workflow.Kept, "request " + other + " selected it and has no service attachment yet"},
		{"self link of the network", []cloud.GCPFirewallRule{otherRule(natRule, "https://www.googleapis.com/compute/v1/"+subnet.Network, subnet.IPCIDRRange)}, nil,
			workflow.Kept, "request " + other},
		{"pending request with its attachment", []cloud.GCPFirewallRule{otherRule(natRule, subnet.Network, subnet.IPCIDRRange)},
			[]cloud.GCPServiceAttachment{otherAttachment}, workflow.Kept, "service attachment " + otherAttachment.Path + " still takes NAT addresses from it; the teardown"},
		{"rule for another range", []cloud.GCPFirewallRule{otherRule(natRule, subnet.Network, "10.9.0.0/28")}, nil, workflow.Deleted, ""},
		{"rule in another network", []cloud.GCPFirewallRule{otherRule(natRule, "projects/corp/global/networks/other", subnet.IPCIDRRange)}, nil, workflow.Deleted, ""},
		{"health check rule", []cloud.GCPFirewallRule{otherRule(gcproute.NamesFor(request.Request{ID: other}).HealthFirewall, subnet.Network, subnet.IPCIDRRange)}, nil, workflow.Deleted, ""},
		{"rule made by hand", []cloud.GCPFirewallRule{{Name: natRule, Network: subnet.Network, SourceRanges: []string{subnet.IPCIDRRange}}}, nil, workflow.Deleted, ""},
		{"own NAT rule", []cloud.GCPFirewallRule{{Name: namesFor(document()).NATFirewall, Network: subnet.Network, SourceRanges: []string{subnet.IPCIDRRange}, Tags: mine}}, nil, workflow.Deleted, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The other request's forwarding rule exists, as it does while
			// the request's run is between its NAT rule and its attachment.
			otherFR := &cloud.GCPForwardingRule{Path: "projects/corp/regions/us-central1/forwardingRules/" + gcproute.NamesFor(request.Request{ID: other}).ForwardingRule}
			n := &network{subnet: subnet, otherRules: tc.rules, others: tc.attachments, fr: otherFR}
			out, err := run(t, n, PSCSubnet)
			if err != nil {
				t.Fatalf("PSCSubnet: %v", err)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q (%s), want %q", out.Action, out.Reason, tc.wantAction)
			}
			if !strings.Contains(out.Reason, tc.wantReason) {
				t.Errorf("reason %q does not contain %q", out.Reason, tc.wantReason)
			}
			if tc.wantAction == workflow.Kept && len(n.deleted) != 0 {
				t.Errorf("deleted %v, want nothing", n.deleted)
			}
		})
	}
}

func TestPSCSubnetKeptForRequestInTeardown(t *testing.T) {
	subnet := &cloud.GCPSubnetwork{Path: "projects/corp/regions/us-central1/subnetworks/snet-psc", Tags: mine,
		Network: "projects/corp/global/networks/vpc", IPCIDRRange: "192.168.255.0/28"}
	other := "DATA-9002"
	natRule := gcproute.NamesFor(request.Request{ID: other}).NATFirewall
	rule := cloud.GCPFirewallRule{Name: natRule, Path: "projects/corp/global/firewalls/" + natRule, Network: subnet.Network,
		SourceRanges: []string{subnet.IPCIDRRange}, Tags: map[string]string{cloud.TagRequest: other}}
	// The other request's teardown has deleted its attachment and its
	// forwarding rule, but not yet its NAT firewall rule.
	n := &network{subnet: subnet, otherRules: []cloud.GCPFirewallRule{rule}}

	out, err := run(t, n, PSCSubnet)
	if err != nil {
		t.Fatalf("PSCSubnet: %v", err)
	}
	if out.Action != workflow.Kept {
		t.Errorf("action = %q (%s), want %q", out.Action, out.Reason, workflow.Kept)
	}
	for _, want := range []string{"request " + other + " is being torn down", rule.Path, "the teardown of the last request that uses the subnet deletes it"} {
		if !strings.Contains(out.Reason, want) {
			t.Errorf("reason %q does not contain %q", out.Reason, want)
		}
	}
	if strings.Contains(out.Reason, "has no service attachment yet") {
		t.Errorf("reason %q says that a request in teardown has no attachment yet", out.Reason)
	}
	if len(n.deleted) != 0 {
		t.Errorf("deleted %v, want nothing", n.deleted)
	}
}

func TestForwardingRuleKeptForForeignUser(t *testing.T) {
	rule := &cloud.GCPForwardingRule{Path: "projects/corp/regions/us-central1/forwardingRules/fr", Tags: mine}
	inUse := func(user string) error {
		return workflow.NotReady("gcp: delete forwarding rule fr in project corp: HTTP 400 resourceInUseByAnotherResource: The resource '%s' is already being used by '%s'", rule.Path, user)
	}
	foreign := "projects/corp/regions/us-central1/serviceAttachments/someone-sa"
	n := &network{fr: rule, deleteErr: inUse(foreign)}
	out, err := run(t, n, ForwardingRule)
	if err != nil {
		t.Fatalf("ForwardingRule: %v", err)
	}
	if out.Action != workflow.Kept {
		t.Errorf("action = %q, want %q", out.Action, workflow.Kept)
	}
	if !strings.Contains(out.Reason, foreign) {
		t.Errorf("reason %q does not name %s", out.Reason, foreign)
	}

	own := "projects/corp/regions/us-central1/serviceAttachments/" + namesFor(document()).ServiceAttachment
	n = &network{fr: rule, deleteErr: inUse(own)}
	if _, err := run(t, n, ForwardingRule); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Errorf("ForwardingRule used by the own attachment = %v, want NotReady", err)
	}

	n = &network{fr: rule, deleteErr: workflow.NotReady("in use")}
	if _, err := run(t, n, ForwardingRule); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Errorf("ForwardingRule with an unnamed user = %v, want NotReady", err)
	}
}

func TestFirewallRulesDeletesBoth(t *testing.T) {
	var want []string
	n := &network{firewalls: map[string]*cloud.GCPFirewallRule{}}
	doc := document()
	for _, name := range []string{namesFor(doc).HealthFirewall, namesFor(doc).NATFirewall} {
		n.firewalls[name] = &cloud.GCPFirewallRule{Path: "projects/corp/global/firewalls/" + name, Tags: mine}
		want = append(want, "firewall rule "+name)
	}
	out, err := run(t, n, FirewallRules)
	if err != nil || out.Action != workflow.Deleted {
		t.Fatalf("FirewallRules = %+v, %v; want deleted", out, err)
	}
	if diff := cmp.Diff(want, n.deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	// The result names both rules, so that the teardown output lists each.
	wantOut := Output{
		Action:  workflow.Deleted,
		ID:      n.firewalls[namesFor(doc).HealthFirewall].Path,
		Related: []Output{{Action: workflow.Deleted, ID: n.firewalls[namesFor(doc).NATFirewall].Path}},
	}
	if diff := cmp.Diff(wantOut, out); diff != "" {
		t.Errorf("FirewallRules result (-want +got):\n%s", diff)
	}

	empty := &network{}
	again, err := run(t, empty, FirewallRules)
	if err != nil || again.Action != workflow.Skipped {
		t.Errorf("FirewallRules without rules = %+v, %v; want skipped", again, err)
	}
}

func namesFor(doc workflow.Document) gcproute.Names { return gcproute.NamesFor(doc.Request) }
