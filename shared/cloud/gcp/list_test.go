package gcp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

func TestListServiceAttachmentsWithSubnet(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	_, _, fr := h.buildLoadBalancer(t)
	psc, err := h.net.CreateSubnetwork(ctx, cloud.GCPSubnetworkSpec{Name: "psc-nat", RequestID: "REQ-1", Region: region, Network: "vpc-one", IPCIDRRange: "192.168.255.0/28", Purpose: cloud.GCPPurposePSC})
	if err != nil {
		t.Fatalf("CreateSubnetwork: %v", err)
	}
	sa, err := h.net.CreateServiceAttachment(ctx, cloud.GCPServiceAttachmentSpec{Name: "other-sa", RequestID: "REQ-2", Region: region, TargetService: fr.Path, NATSubnets: []string{psc.Path}})
	if err != nil {
		t.Fatalf("CreateServiceAttachment: %v", err)
	}

	list, err := h.net.ListServiceAttachments(ctx, region)
	if err != nil {
		t.Fatalf("ListServiceAttachments: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("ListServiceAttachments = %+v, want one attachment", list)
	}
	if got := list[0]; got.Name != "other-sa" || got.Path != sa.Path || !slices.Equal(got.NATSubnets, []string{psc.Path}) || got.Tags[cloud.TagRequest] != "REQ-2" {
		t.Errorf("attachment = %+v, want other-sa at %s with NAT subnet %s and request REQ-2", got, sa.Path, psc.Path)
	}
	if other, err := h.net.ListServiceAttachments(ctx, "europe-west1"); err != nil || len(other) != 0 {
		t.Errorf("ListServiceAttachments in another region = %+v, %v; want none", other, err)
	}

	// The delete that the attachment blocks names it, which the teardown
	// reads to tell another request's user from the request's own.
	err = h.net.DeleteSubnetwork(ctx, region, "psc-nat")
	if workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("DeleteSubnetwork in use = %v, want NotReady", err)
	}
	if want := "already being used by '" + sa.Path + "'"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestListFirewallRulesAcrossPages(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	specs := []cloud.GCPFirewallRuleSpec{
		{Name: "rule-a", RequestID: "REQ-1", Network: "vpc-one", TCPPorts: []string{"443"}, SourceRanges: []string{"192.168.255.0/28"}, TargetTags: []string{"rl-proxy"}},
		{Name: "rule-b", RequestID: "REQ-2", Network: "vpc-one", TCPPorts: []string{"443"}, SourceRanges: []string{"10.9.0.0/28"}},
		{Name: "rule-c", Network: "vpc-two", TCPPorts: []string{"22"}, SourceRanges: []string{"10.0.0.0/8"}},
	}
	for _, spec := range specs {
		if _, err := h.net.CreateFirewallRule(ctx, spec); err != nil {
			t.Fatalf("CreateFirewallRule %s: %v", spec.Name, err)
		}
	}

	// The sandbox returns two rules a page, so the list takes two pages.
	list, err := h.net.ListFirewallRules(ctx)
	if err != nil {
		t.Fatalf("ListFirewallRules: %v", err)
	}
	if len(list) != len(specs) {
		t.Fatalf("ListFirewallRules = %+v, want %d rules", list, len(specs))
	}
	byName := map[string]cloud.GCPFirewallRule{}
	for _, rule := range list {
		byName[rule.Name] = rule
	}
	for _, spec := range specs {
		rule, ok := byName[spec.Name]
		if !ok {
			t.Errorf("rule %s missing from %+v", spec.Name, list)
			continue
		}
		if want := "projects/" + project + "/global/networks/" + spec.Network; rule.Network != want {
			t.Errorf("rule %s: network %q, want %q", spec.Name, rule.Network, want)
		}
		if want := "projects/" + project + "/global/firewalls/" + spec.Name; rule.Path != want {
			t.Errorf("rule %s: path %q, want %q", spec.Name, rule.Path, want)
		}
		if !slices.Equal(rule.SourceRanges, spec.SourceRanges) {
			t.Errorf("rule %s: source ranges %v, want %v", spec.Name, rule.SourceRanges, spec.SourceRanges)
		}
		if rule.Tags[cloud.TagRequest] != spec.RequestID {
			t.Errorf("rule %s: request tag %q, want %q", spec.Name, rule.Tags[cloud.TagRequest], spec.RequestID)
		}
	}
}
