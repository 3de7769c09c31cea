package azure

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
)

func TestFirewallRuleLifecycle(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()
	nsgID, err := f.sim.EnsureNetworkSecurityGroup(testSubscription, testGroup, testLocation, "repo-nsg")
	if err != nil {
		t.Fatal(err)
	}
	firewall, err := NewFirewall(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	other := cloud.FirewallTarget{RequestID: "OTHER-1", Port: 443, NetworkSecurityGroupID: nsgID}
	if _, err := firewall.SetIngressRanges(ctx, other, []string{"192.0.2.0/24"}); err != nil {
		t.Fatalf("set ranges of another request: %v", err)
	}
	target := cloud.FirewallTarget{RequestID: "DATA-4711", Port: 443, NetworkSecurityGroupID: nsgID}
	ruleSuffix := "/securityRules/" + RuleName(target.RequestID, target.Port)

	if _, err := firewall.SetIngressRanges(ctx, target, []string{"203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges: %v", err)
	}
	body := lastRequest(t, f.sim, http.MethodPut, ruleSuffix)
	if got := field(body, "properties", "priority"); got != float64(101) {
		t.Errorf("priority = %v, want 101, the first one the other rule leaves free", got)
	}
	if got := field(body, "properties", "destinationPortRange"); got != "443" {
		t.Errorf("destinationPortRange = %v, want 443", got)
	}
	if got, _ := field(body, "properties", "description").(string); !strings.Contains(got, "repolink:request=DATA-4711") {
		t.Errorf("description = %q, want it to name the request", got)
	}

	got, err := firewall.IngressRanges(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"198.51.100.0/24", "203.0.113.0/24"}, got); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}

	puts := countRequests(f.sim, http.MethodPut, ruleSuffix)
	if _, err := firewall.SetIngressRanges(ctx, target, []string{"203.0.113.0/24", "198.51.100.0/24"}); err != nil {
		t.Fatal(err)
	}
	if again := countRequests(f.sim, http.MethodPut, ruleSuffix); again != puts {
		t.Errorf("setting the same ranges sent %d PUTs, want none", again-puts)
	}

	if _, err := firewall.SetIngressRanges(ctx, target, []string{"203.0.113.0/24"}); err != nil {
		t.Fatal(err)
	}
	if got := field(lastRequest(t, f.sim, http.MethodPut, ruleSuffix), "properties", "priority"); got != float64(101) {
		t.Errorf("an update moved the rule to priority %v, want 101", got)
	}

	if _, err := firewall.SetIngressRanges(ctx, target, nil); err != nil {
		t.Fatalf("remove all ranges: %v", err)
	}
	if got, err := firewall.IngressRanges(ctx, target); err != nil || len(got) != 0 {
		t.Errorf("ranges after removal = %v, %v; want none", got, err)
	}
	if got, err := firewall.IngressRanges(ctx, other); err != nil || len(got) != 1 {
		t.Errorf("the other request's ranges = %v, %v; want its one range kept", got, err)
	}
}

func TestRuleNameIsBoundedAndDistinct(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct{ a, b string }{
		{"DATA-4711", "DATA-4712"},
		{long + "1", long + "2"},
		{"a/b", "a?b"},
	}
	for _, tt := range tests {
		a, b := RuleName(tt.a, 443), RuleName(tt.b, 443)
		if a == b {
			t.Errorf("RuleName(%q) = RuleName(%q) = %s", tt.a, tt.b, a)
		}
		for _, name := range []string{a, b} {
			if len(name) > 80 || strings.ContainsAny(name, "/?") {
				t.Errorf("rule name %q is longer than 80 characters or has invalid characters", name)
			}
		}
	}
}

func TestFirewallTwoRequestsSameRanges(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()
	nsgID, err := f.sim.EnsureNetworkSecurityGroup(testSubscription, testGroup, testLocation, "repo-nsg")
	if err != nil {
		t.Fatal(err)
	}
	firewall, err := NewFirewall(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	first := cloud.FirewallTarget{RequestID: "DATA-4720", Port: 443, NetworkSecurityGroupID: nsgID}
	second := cloud.FirewallTarget{RequestID: "DATA-4730", Port: 443, NetworkSecurityGroupID: nsgID}
	ranges := []string{"192.0.2.0/24", "198.51.100.0/25"}

	for _, target := range []cloud.FirewallTarget{first, second} {
		change, err := firewall.SetIngressRanges(ctx, target, ranges)
		if err != nil {
			t.Fatalf("SetIngressRanges of %s: %v", target.RequestID, err)
		}
		if diff := cmp.Diff(cloud.FirewallChange{Added: ranges}, change); diff != "" {
			t.Errorf("change of %s, which gets a rule of its own (-want +got):\n%s", target.RequestID, diff)
		}
	}

	change, err := firewall.SetIngressRanges(ctx, first, nil)
	if err != nil {
		t.Fatalf("remove the ranges of %s: %v", first.RequestID, err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Removed: ranges}, change); diff != "" {
		t.Errorf("change on removal (-want +got):\n%s", diff)
	}
	got, err := firewall.IngressRanges(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ranges, got); diff != "" {
		t.Errorf("ranges of %s after %s let go (-want +got):\n%s", second.RequestID, first.RequestID, diff)
	}
	if n := countRequests(f.sim, http.MethodDelete, "/securityRules/"+RuleName(second.RequestID, 443)); n != 0 {
		t.Errorf("removing %s sent %d DELETEs for the rule of %s, want none", first.RequestID, n, second.RequestID)
	}
}
