package aws

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// interleaver is an HTTP client that runs another request's step once,
// just before the first EC2 call that match selects is sent. A test uses
// it to put the calls of two requests in a set order.
type interleaver struct {
	next   *http.Client
	mu     sync.Mutex
	match  func(form url.Values) bool
	before func()
	done   bool
}

func (c *interleaver) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		c.mu.Lock()
		run := !c.done && c.match(form)
		c.done = c.done || run
		c.mu.Unlock()
		if run {
			c.before()
		}
	}
	return c.next.Do(req)
}

// interleavedFirewall returns a Firewall on the sandbox whose calls pass
// through an interleaver with match and before.
func interleavedFirewall(t *testing.T, env *simEnv, match func(url.Values) bool, before func()) (*Firewall, *interleaver) {
	t.Helper()
	// The SDK adds a CA bundle from the environment only to its own client
	// type, and the sandbox speaks plain HTTP.
	t.Setenv("AWS_CA_BUNDLE", "")
	client := &interleaver{next: &http.Client{}, match: match, before: before}
	opts := testOptions(env.sim.URL())
	opts.HTTPClient = client
	p, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return NewFirewall(func(context.Context, string) (*Provider, error) { return p, nil }), client
}

func action(name string) func(url.Values) bool {
	return func(form url.Values) bool { return form.Get("Action") == name }
}

// setUntilReady calls SetIngressRanges again while it returns NotReady, as
// the state machine's Retry does.
func setUntilReady(ctx context.Context, f *Firewall, target cloud.FirewallTarget, cidrs []string) error {
	var err error
	for range 5 {
		if _, err = f.SetIngressRanges(ctx, target, cidrs); workflow.NameOf(err) != workflow.ErrNotReady {
			return err
		}
	}
	return err
}

// checkReliesOn checks that target relies on exactly cidrs and that the
// group has a rule for each.
func checkReliesOn(t *testing.T, env *simEnv, f *Firewall, target cloud.FirewallTarget, cidrs []string) {
	t.Helper()
	got, err := f.IngressRanges(context.Background(), target)
	if err != nil {
		t.Fatalf("IngressRanges of %s: %v", target.RequestID, err)
	}
	if diff := cmp.Diff(cidrs, got); diff != "" {
		t.Errorf("ranges that %s relies on (-want +got):\n%s", target.RequestID, diff)
	}
	for _, cidr := range cidrs {
		if _, ok := ruleIDs(env)[cidr]; !ok {
			t.Errorf("the group has no rule for %s", cidr)
		}
	}
}

// checkAdoption checks the outcome of an adoption that ran while the owner
// let go of the rule: either the adopter relies on an open range now, or
// it failed with NotReady, so that the state machine runs it again.
func checkAdoption(t *testing.T, env *simEnv, f *Firewall, adoptErr error) {
	t.Helper()
	if adoptErr == nil {
		checkReliesOn(t, env, f, adopter, raceRange)
		return
	}
	if got := workflow.NameOf(adoptErr); got != workflow.ErrNotReady {
		t.Errorf("adoption while the owner lets go: error %v (name %q), want none or %s", adoptErr, got, workflow.ErrNotReady)
	}
}

var (
	raceRange = []string{"192.0.2.0/24"}
	adopter   = cloud.FirewallTarget{RequestID: "DATA-4730", Port: 443, AWSRegion: "us-west-2", SecurityGroupID: testGroup}
)

func TestFirewallAdoptJustBeforeRevoke(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)
	if _, err := f.SetIngressRanges(ctx, firewallTarget, raceRange); err != nil {
		t.Fatalf("SetIngressRanges of the owner: %v", err)
	}

	// The owner has read the rule and found no adopter. Then the other
	// request adopts the rule, just before the owner revokes it.
	var adoptErr error
	owner, _ := interleavedFirewall(t, env, action("RevokeSecurityGroupIngress"), func() {
		_, adoptErr = f.SetIngressRanges(ctx, adopter, raceRange)
	})
	if _, err := owner.SetIngressRanges(ctx, firewallTarget, nil); err != nil {
		t.Fatalf("SetIngressRanges with no ranges for the owner: %v", err)
	}
	checkAdoption(t, env, f, adoptErr)

	if err := setUntilReady(ctx, f, adopter, raceRange); err != nil {
		t.Fatalf("SetIngressRanges of the adopter, run again: %v", err)
	}
	checkReliesOn(t, env, f, adopter, raceRange)
}

func TestFirewallAdoptJustBeforeOwnerRereads(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)
	if _, err := f.SetIngressRanges(ctx, firewallTarget, raceRange); err != nil {
		t.Fatalf("SetIngressRanges of the owner: %v", err)
	}

	// The owner has set its releasing tag. Then the other request adopts
	// the rule, before the owner reads it again.
	var adoptErr error
	readsRule := func(form url.Values) bool {
		return form.Get("Action") == "DescribeSecurityGroupRules" && strings.Contains(form.Encode(), "security-group-rule-id")
	}
	owner, client := interleavedFirewall(t, env, readsRule, func() {
		_, adoptErr = f.SetIngressRanges(ctx, adopter, raceRange)
	})
	change, err := owner.SetIngressRanges(ctx, firewallTarget, nil)
	if err != nil {
		t.Fatalf("SetIngressRanges with no ranges for the owner: %v", err)
	}
	if !client.done {
		t.Fatal("the owner did not read the rule again before deciding")
	}
	checkAdoption(t, env, f, adoptErr)
	want := cloud.FirewallChange{Kept: raceRange, OtherRequests: []string{adopter.RequestID}}
	if diff := cmp.Diff(want, change); diff != "" {
		t.Errorf("change of the owner (-want +got):\n%s", diff)
	}

	if err := setUntilReady(ctx, f, adopter, raceRange); err != nil {
		t.Fatalf("SetIngressRanges of the adopter, run again: %v", err)
	}
	checkReliesOn(t, env, f, adopter, raceRange)
	checkReliesOn(t, env, f, firewallTarget, nil)
}

func TestFirewallAdoptAfterRevoke(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)
	if _, err := f.SetIngressRanges(ctx, firewallTarget, raceRange); err != nil {
		t.Fatalf("SetIngressRanges of the owner: %v", err)
	}

	// The other request has listed the rule. Then the owner revokes it,
	// before the adopter tag arrives.
	adopting, _ := interleavedFirewall(t, env, action("CreateTags"), func() {
		if _, err := f.SetIngressRanges(ctx, firewallTarget, nil); err != nil {
			t.Errorf("SetIngressRanges with no ranges for the owner: %v", err)
		}
	})
	change, err := adopting.SetIngressRanges(ctx, adopter, raceRange)
	if err != nil {
		t.Fatalf("SetIngressRanges of the adopter: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Added: raceRange}, change); diff != "" {
		t.Errorf("change of the adopter, whose rule was revoked (-want +got):\n%s", diff)
	}
	checkReliesOn(t, env, f, adopter, raceRange)
}

func TestFirewallPassToLeavingAdopter(t *testing.T) {
	passesOn := func(form url.Values) bool {
		return form.Get("Action") == "CreateTags" && form.Get("Tag.1.Key") == cloud.TagRequest
	}
	tests := []struct {
		name string
		// match selects the owner's call before which the adopter lets go.
		match func(url.Values) bool
	}{
		{"adopter leaves before the owner passes the rule on", passesOn},
		{"adopter leaves after the owner passed the rule on", func() func(url.Values) bool {
			passed := false
			return func(form url.Values) bool {
				if passesOn(form) {
					passed = true
					return false
				}
				return passed && form.Get("Action") == "DescribeSecurityGroupRules"
			}
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			env, f, _ := startFirewall(t)
			for _, target := range []cloud.FirewallTarget{firewallTarget, adopter} {
				if _, err := f.SetIngressRanges(ctx, target, raceRange); err != nil {
					t.Fatalf("SetIngressRanges of %s: %v", target.RequestID, err)
				}
			}

			owner, client := interleavedFirewall(t, env, tt.match, func() {
				if _, err := f.SetIngressRanges(ctx, adopter, nil); err != nil {
					t.Errorf("SetIngressRanges with no ranges for the adopter: %v", err)
				}
			})
			if _, err := owner.SetIngressRanges(ctx, firewallTarget, nil); err != nil {
				t.Fatalf("SetIngressRanges with no ranges for the owner: %v", err)
			}
			if !client.done {
				t.Fatal("the adopter never let go during the owner's calls")
			}
			if rules := env.sim.Snapshot().SecurityGroups[testGroup].Rules; len(rules) != 0 {
				t.Errorf("rules after both requests let go = %+v, want none", rules)
			}
		})
	}
}

func TestRuleReleasingTag(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"fresh", *releasingTag("DATA 4711", now.Add(-time.Minute)).Value, "DATA 4711"},
		{"stale", *releasingTag("DATA-4711", now.Add(-releaseWindow)).Value, ""},
		{"no time", "DATA-4711", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := ingressRule{tags: map[string]string{releasingTagKey: tt.value}}
			got, ok := rule.releasing(now)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("releasing() = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}
