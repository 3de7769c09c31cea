package azure

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/workflow"
)

func TestFirewallRuleLifecycle(t *testing.T) {
	f, nsgID, firewall := newFirewallFixture(t)
	ctx := t.Context()
	other := cloud.FirewallTarget{RequestID: "OTHER-1", Port: 443, NetworkSecurityGroupID: nsgID}
	if _, err := firewall.SetIngressRanges(ctx, other, []string{"192.0.2.0/24"}); err != nil {
		t.Fatalf("set ranges of another request: %v", err)
	}
	target := cloud.FirewallTarget{RequestID: "DATA-4711", Port: 443, NetworkSecurityGroupID: nsgID}
	name := RuleName(target.RequestID, target.Port)

	if _, err := firewall.SetIngressRanges(ctx, target, []string{"203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges: %v", err)
	}
	written := lastRequest(t, f.sim, http.MethodPut, groupSuffix)
	if got := groupRuleNames(written); !cmp.Equal(got, []string{RuleName(other.RequestID, 443), name}) {
		t.Errorf("rules written = %v, want the other request's rule kept and %s added", got, name)
	}
	body := groupRule(t, written, name)
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

	puts := countRequests(f.sim, http.MethodPut, groupSuffix)
	if _, err := firewall.SetIngressRanges(ctx, target, []string{"203.0.113.0/24", "198.51.100.0/24"}); err != nil {
		t.Fatal(err)
	}
	if again := countRequests(f.sim, http.MethodPut, groupSuffix); again != puts {
		t.Errorf("setting the same ranges sent %d PUTs, want none", again-puts)
	}

	if _, err := firewall.SetIngressRanges(ctx, target, []string{"203.0.113.0/24"}); err != nil {
		t.Fatal(err)
	}
	if got := field(groupRule(t, lastRequest(t, f.sim, http.MethodPut, groupSuffix), name), "properties", "priority"); got != float64(101) {
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

func TestFirewallPortChangeDropsOldRule(t *testing.T) {
	f, nsgID, firewall := newFirewallFixture(t)
	ctx := t.Context()
	ranges := []string{"198.51.100.0/24"}
	// The other request's ID starts with this one's, so its rule name shares
	// the readable part.
	other := cloud.FirewallTarget{RequestID: "DATA-4720-2", Port: 443, NetworkSecurityGroupID: nsgID}
	if _, err := firewall.SetIngressRanges(ctx, other, ranges); err != nil {
		t.Fatalf("set ranges of another request: %v", err)
	}
	old := cloud.FirewallTarget{RequestID: "DATA-4720", Port: 443, NetworkSecurityGroupID: nsgID}
	if _, err := firewall.SetIngressRanges(ctx, old, ranges); err != nil {
		t.Fatalf("set ranges on port 443: %v", err)
	}

	moved := old
	moved.Port = 8443
	change, err := firewall.SetIngressRanges(ctx, moved, ranges)
	if err != nil {
		t.Fatalf("set ranges on port 8443: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Added: ranges, Updated: true}, change); diff != "" {
		t.Errorf("change on the port move (-want +got):\n%s", diff)
	}
	written := lastRequest(t, f.sim, http.MethodPut, groupSuffix)
	want := []string{RuleName(other.RequestID, 443), RuleName(moved.RequestID, 8443)}
	if got := groupRuleNames(written); !cmp.Equal(got, want) {
		t.Errorf("rules after the port move = %v, want %v", got, want)
	}

	// A teardown names the current port but must also find a rule left on
	// an earlier one.
	if _, err := firewall.SetIngressRanges(ctx, old, ranges); err != nil {
		t.Fatalf("set ranges on port 443 again: %v", err)
	}
	change, err = firewall.SetIngressRanges(ctx, moved, nil)
	if err != nil {
		t.Fatalf("remove all ranges: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Removed: ranges, Updated: true}, change); diff != "" {
		t.Errorf("change on removal (-want +got):\n%s", diff)
	}
	written = lastRequest(t, f.sim, http.MethodPut, groupSuffix)
	if got := groupRuleNames(written); !cmp.Equal(got, want[:1]) {
		t.Errorf("rules after removal = %v, want only %v", got, want[:1])
	}
}

func TestIsRequestRule(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{RuleName("DATA-4720", 443), true},
		{strings.ToUpper(RuleName("DATA-4720", 8443)), true},
		{RuleName("DATA-4720-2", 443), false},
		{RuleName("DATA-4720", 443) + "-x", false},
		{ruleNamePrefix("DATA-4720"), false},
		{ruleNamePrefix("DATA-4720") + "99999", false},
		{"allow-https", false},
	}
	for _, tt := range tests {
		if got := isRequestRule(tt.name, "DATA-4720"); got != tt.want {
			t.Errorf("isRequestRule(%q) = %v, want %v", tt.name, got, tt.want)
		}
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
	f, nsgID, firewall := newFirewallFixture(t)
	ctx := t.Context()
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
	if diff := cmp.Diff(cloud.FirewallChange{Removed: ranges, Updated: true}, change); diff != "" {
		t.Errorf("change on removal (-want +got):\n%s", diff)
	}
	got, err := firewall.IngressRanges(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ranges, got); diff != "" {
		t.Errorf("ranges of %s after %s let go (-want +got):\n%s", second.RequestID, first.RequestID, diff)
	}
	if got := groupRuleNames(lastRequest(t, f.sim, http.MethodPut, groupSuffix)); !cmp.Equal(got, []string{RuleName(second.RequestID, 443)}) {
		t.Errorf("rules written when %s let go = %v, want only the rule of %s", first.RequestID, got, second.RequestID)
	}
}

// groupSuffix ends the path of the test's network security group.
const groupSuffix = "/networkSecurityGroups/repo-nsg"

// newGroupFixture starts the Azure sandbox with the network security group
// that groupSuffix names, and returns the fixture and the group's ID.
func newGroupFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t, azuresim.Delays{})
	nsgID, err := f.sim.EnsureNetworkSecurityGroup(testSubscription, testGroup, testLocation, "repo-nsg")
	if err != nil {
		t.Fatal(err)
	}
	return f, nsgID
}

// newFirewallFixture extends newGroupFixture with a Firewall on the
// sandbox's default options.
func newFirewallFixture(t *testing.T) (*fixture, string, *Firewall) {
	t.Helper()
	f, nsgID := newGroupFixture(t)
	firewall, err := NewFirewall(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	return f, nsgID, firewall
}

// groupRuleNames returns the names of the rules in a written group, in
// the order written.
func groupRuleNames(group map[string]any) []string {
	var names []string
	rules, _ := field(group, "properties", "securityRules").([]any)
	for _, rule := range rules {
		name, _ := field(rule.(map[string]any), "name").(string)
		names = append(names, name)
	}
	return names
}

// groupRule returns the rule named name in a written group.
func groupRule(t *testing.T, group map[string]any, name string) map[string]any {
	t.Helper()
	rules, _ := field(group, "properties", "securityRules").([]any)
	for _, rule := range rules {
		if rule := rule.(map[string]any); rule["name"] == name {
			return rule
		}
	}
	t.Fatalf("written group has no rule %s", name)
	return nil
}

// syncedGroupReads is a transport that holds the responses to the first
// reads of the network security group until readers of them have
// arrived, so that that many writers read the same version of the group
// before any of them writes. Holding the requests instead would let one
// writer read and write before the other's read reached the group.
type syncedGroupReads struct {
	next    policy.Transporter
	mu      sync.Mutex
	readers int
	allRead chan struct{}
}

func (s *syncedGroupReads) Do(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, groupSuffix) {
		return s.next.Do(req)
	}
	s.mu.Lock()
	waiting := s.readers > 0
	s.mu.Unlock()
	resp, err := s.next.Do(req)
	if waiting {
		s.mu.Lock()
		s.readers--
		if s.readers == 0 {
			close(s.allRead)
		}
		s.mu.Unlock()
		<-s.allRead
	}
	return resp, err
}

func TestFirewallConcurrentRulesGetOwnPriorities(t *testing.T) {
	f, nsgID := newGroupFixture(t)
	ctx := t.Context()
	opts := f.opts
	opts.Transport = &syncedGroupReads{next: f.opts.Transport, readers: 2, allRead: make(chan struct{})}
	// The two writers open a connection each; closing the spare one lets
	// the sandbox stop at once.
	if client, ok := f.opts.Transport.(*http.Client); ok {
		t.Cleanup(client.CloseIdleConnections)
	}
	firewall, err := NewFirewall(opts)
	if err != nil {
		t.Fatal(err)
	}
	targets := []cloud.FirewallTarget{
		{RequestID: "DATA-4720", Port: 443, NetworkSecurityGroupID: nsgID},
		{RequestID: "DATA-4730", Port: 443, NetworkSecurityGroupID: nsgID},
	}
	ranges := [][]string{{"192.0.2.0/24"}, {"198.51.100.0/24"}}

	// Both requests read the empty group, so both pick priority 100 first.
	var errs [2]error
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Go(func() { _, errs[i] = firewall.SetIngressRanges(ctx, target, ranges[i]) })
	}
	wg.Wait()

	for i, target := range targets {
		if errs[i] != nil {
			t.Errorf("SetIngressRanges of %s: %v", target.RequestID, errs[i])
			continue
		}
		got, err := firewall.IngressRanges(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ranges[i], got); diff != "" {
			t.Errorf("ranges of %s (-want +got):\n%s", target.RequestID, diff)
		}
	}
	if n := countRequests(f.sim, http.MethodPut, groupSuffix); n != 3 {
		t.Errorf("writes of the group = %d, want 3: one rejected for a stale etag and written again", n)
	}
	group := lastRequest(t, f.sim, http.MethodPut, groupSuffix)
	priorities := map[any]bool{}
	for _, target := range targets {
		priorities[field(groupRule(t, group, RuleName(target.RequestID, 443)), "properties", "priority")] = true
	}
	if len(priorities) != 2 {
		t.Errorf("priorities of the two rules = %v, want two different ones", priorities)
	}
}

func TestFirewallGroupChangedOnEveryWrite(t *testing.T) {
	f, nsgID, firewall := newFirewallFixture(t)
	f.sim.SetFault(func(method, path string) (int, string) {
		if method == http.MethodPut && strings.HasSuffix(path, groupSuffix) {
			return http.StatusPreconditionFailed, "PreconditionFailed"
		}
		return 0, ""
	})
	target := cloud.FirewallTarget{RequestID: "DATA-4711", Port: 443, NetworkSecurityGroupID: nsgID}

	_, err := firewall.SetIngressRanges(t.Context(), target, []string{"192.0.2.0/24"})
	if got := workflow.NameOf(err); got != workflow.ErrTransient {
		t.Errorf("error name = %q, want %s (error %v)", got, workflow.ErrTransient, err)
	}
	if n := countRequests(f.sim, http.MethodPut, groupSuffix); n != maxGroupWrites {
		t.Errorf("writes of the group = %d, want %d", n, maxGroupWrites)
	}
}
