package aws

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

const testGroup = "sg-0123456789abcdef0"

var firewallTarget = cloud.FirewallTarget{
	RequestID:       "DATA-4711",
	Port:            443,
	AWSRegion:       "us-west-2",
	SecurityGroupID: testGroup,
}

// startFirewall starts a sandbox with the test security group and returns
// a Firewall and a Provider on it.
func startFirewall(t *testing.T) (*simEnv, *Firewall, *Provider) {
	t.Helper()
	env := startSim(t, t.TempDir())
	if err := env.sim.EnsureSecurityGroup(testGroup, "us-west-2", "vpc-0abc"); err != nil {
		t.Fatalf("EnsureSecurityGroup: %v", err)
	}
	p := newTestProvider(t, env.sim.URL())
	f := NewFirewall(func(_ context.Context, region string) (*Provider, error) {
		if region != "us-west-2" {
			t.Errorf("firewall asked for region %q, want us-west-2", region)
		}
		return p, nil
	})
	return env, f, p
}

// groupRules returns the rules of the test group as "cidr protocol port
// description request-tag".
func groupRules(t *testing.T, env *simEnv) []string {
	t.Helper()
	sg := env.sim.Snapshot().SecurityGroups[testGroup]
	var out []string
	for _, rule := range sg.Rules {
		out = append(out, strings.Join([]string{rule.CIDR, rule.Protocol, strconv.Itoa(rule.FromPort), rule.Description, rule.Tags[cloud.TagRequest]}, " "))
	}
	return out
}

func ruleIDs(env *simEnv) map[string]string {
	ids := map[string]string{}
	for _, rule := range env.sim.Snapshot().SecurityGroups[testGroup].Rules {
		ids[rule.CIDR] = rule.ID
	}
	return ids
}

func TestFirewallSetThenAdopt(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)

	if _, err := f.SetIngressRanges(ctx, firewallTarget, []string{"203.0.113.0/24", "198.51.100.7/32", "203.0.113.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges: %v", err)
	}
	got, err := f.IngressRanges(ctx, firewallTarget)
	if err != nil {
		t.Fatalf("IngressRanges: %v", err)
	}
	if diff := cmp.Diff([]string{"198.51.100.7/32", "203.0.113.0/24"}, got); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
	wantRules := []string{
		"198.51.100.7/32 tcp 443 repolink request DATA-4711 DATA-4711",
		"203.0.113.0/24 tcp 443 repolink request DATA-4711 DATA-4711",
	}
	if diff := cmp.Diff(wantRules, groupRules(t, env)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}

	before := ruleIDs(env)
	if _, err := f.SetIngressRanges(ctx, firewallTarget, []string{"198.51.100.7/32", "203.0.113.0/24"}); err != nil {
		t.Fatalf("second SetIngressRanges: %v", err)
	}
	if diff := cmp.Diff(before, ruleIDs(env)); diff != "" {
		t.Errorf("setting the same ranges changed the rules (-before +after):\n%s", diff)
	}
}

func TestFirewallReplacesChangedRanges(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)
	if _, err := f.SetIngressRanges(ctx, firewallTarget, []string{"203.0.113.0/24", "198.51.100.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges: %v", err)
	}
	kept := ruleIDs(env)["203.0.113.0/24"]

	if _, err := f.SetIngressRanges(ctx, firewallTarget, []string{"203.0.113.0/24", "192.0.2.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges with a changed set: %v", err)
	}
	got, err := f.IngressRanges(ctx, firewallTarget)
	if err != nil {
		t.Fatalf("IngressRanges: %v", err)
	}
	if diff := cmp.Diff([]string{"192.0.2.0/24", "203.0.113.0/24"}, got); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
	if id := ruleIDs(env)["203.0.113.0/24"]; id != kept {
		t.Errorf("rule of a range in both sets was replaced: %s, then %s", kept, id)
	}

	// A new port moves every rule.
	moved := firewallTarget
	moved.Port = 8443
	if _, err := f.SetIngressRanges(ctx, moved, []string{"203.0.113.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges on port 8443: %v", err)
	}
	if diff := cmp.Diff([]string{"203.0.113.0/24 tcp 8443 repolink request DATA-4711 DATA-4711"}, groupRules(t, env)); diff != "" {
		t.Errorf("rules after the port change (-want +got):\n%s", diff)
	}

	if _, err := f.SetIngressRanges(ctx, moved, nil); err != nil {
		t.Fatalf("SetIngressRanges with no ranges: %v", err)
	}
	if rules := groupRules(t, env); len(rules) != 0 {
		t.Errorf("rules after removing every range = %v, want none", rules)
	}
}

func TestFirewallLeavesOtherRulesAlone(t *testing.T) {
	ctx := context.Background()
	env, f, p := startFirewall(t)

	// An administrator's rule for one of Snowflake's ranges, and another
	// request's rule.
	if _, err := p.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(testGroup),
		IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges: []types.IpRange{{CidrIp: aws.String("198.51.100.0/24"), Description: aws.String("office")}},
		}},
	}); err != nil {
		t.Fatalf("authorize the administrator's rule: %v", err)
	}
	other := firewallTarget
	other.RequestID = "DATA-9999"
	if _, err := f.SetIngressRanges(ctx, other, []string{"192.0.2.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges of another request: %v", err)
	}

	change, err := f.SetIngressRanges(ctx, firewallTarget, []string{"198.51.100.0/24", "203.0.113.0/24"})
	if err != nil {
		t.Fatalf("SetIngressRanges next to a duplicate: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Added: []string{"203.0.113.0/24"}, Adopted: []string{"198.51.100.0/24"}}, change); diff != "" {
		t.Errorf("change next to the administrator's rule (-want +got):\n%s", diff)
	}
	got, err := f.IngressRanges(ctx, firewallTarget)
	if err != nil {
		t.Fatalf("IngressRanges: %v", err)
	}
	if diff := cmp.Diff([]string{"198.51.100.0/24", "203.0.113.0/24"}, got); diff != "" {
		t.Errorf("ranges of the request (-want +got):\n%s", diff)
	}

	change, err = f.SetIngressRanges(ctx, firewallTarget, nil)
	if err != nil {
		t.Fatalf("SetIngressRanges with no ranges: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Removed: []string{"203.0.113.0/24"}, Kept: []string{"198.51.100.0/24"}}, change); diff != "" {
		t.Errorf("change on removal (-want +got):\n%s", diff)
	}
	want := []string{
		"198.51.100.0/24 tcp 443 office ",
		"192.0.2.0/24 tcp 443 repolink request DATA-9999 DATA-9999",
	}
	if diff := cmp.Diff(want, groupRules(t, env)); diff != "" {
		t.Errorf("rules left after removing the request's (-want +got):\n%s", diff)
	}
	for _, rule := range env.sim.Snapshot().SecurityGroups[testGroup].Rules {
		if _, ok := rule.Tags[adopterTagKey(firewallTarget.RequestID)]; ok {
			t.Errorf("rule %s still carries the adopter tag of %s: %v", rule.CIDR, firewallTarget.RequestID, rule.Tags)
		}
	}
}

// ruleTags returns the tags of the test group's rule for cidr.
func ruleTags(t *testing.T, env *simEnv, cidr string) map[string]string {
	t.Helper()
	for _, rule := range env.sim.Snapshot().SecurityGroups[testGroup].Rules {
		if rule.CIDR == cidr {
			return rule.Tags
		}
	}
	t.Fatalf("no rule for %s in %s", cidr, testGroup)
	return nil
}

func TestFirewallSharedRuleAdopted(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)
	second := firewallTarget
	second.RequestID = "DATA-4730"
	ranges := []string{"192.0.2.0/24", "198.51.100.0/25"}

	if _, err := f.SetIngressRanges(ctx, firewallTarget, ranges); err != nil {
		t.Fatalf("SetIngressRanges of the first request: %v", err)
	}
	change, err := f.SetIngressRanges(ctx, second, ranges)
	if err != nil {
		t.Fatalf("SetIngressRanges of the second request: %v", err)
	}
	want := cloud.FirewallChange{Adopted: ranges, OtherRequests: []string{firewallTarget.RequestID}}
	if diff := cmp.Diff(want, change); diff != "" {
		t.Errorf("change of the second request (-want +got):\n%s", diff)
	}
	got, err := f.IngressRanges(ctx, second)
	if err != nil {
		t.Fatalf("IngressRanges of the second request: %v", err)
	}
	if diff := cmp.Diff(ranges, got); diff != "" {
		t.Errorf("ranges of the second request (-want +got):\n%s", diff)
	}
	again, err := f.SetIngressRanges(ctx, second, ranges)
	if err != nil {
		t.Fatalf("second SetIngressRanges of the second request: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{}, again); diff != "" {
		t.Errorf("change of a repeated call (-want +got):\n%s", diff)
	}

	// The first request lets go: the rules stay and pass to the second.
	change, err = f.SetIngressRanges(ctx, firewallTarget, nil)
	if err != nil {
		t.Fatalf("SetIngressRanges with no ranges for the first request: %v", err)
	}
	want = cloud.FirewallChange{Kept: ranges, OtherRequests: []string{second.RequestID}}
	if diff := cmp.Diff(want, change); diff != "" {
		t.Errorf("change when the first request lets go (-want +got):\n%s", diff)
	}
	if got := len(env.sim.Snapshot().SecurityGroups[testGroup].Rules); got != 2 {
		t.Errorf("rules after the first request let go = %d, want 2", got)
	}
	// The new owner keeps its adopter tag, which shows that it still
	// relies on the rule.
	owner := map[string]string{cloud.TagRequest: second.RequestID, adopterTagKey(second.RequestID): second.RequestID}
	for _, cidr := range ranges {
		if diff := cmp.Diff(owner, ruleTags(t, env, cidr)); diff != "" {
			t.Errorf("tags of the rule for %s (-want +got):\n%s", cidr, diff)
		}
	}
	// The description follows the owner, so that the rule names the
	// request that now relies on it.
	wantRules := []string{
		"192.0.2.0/24 tcp 443 repolink request DATA-4730 DATA-4730",
		"198.51.100.0/25 tcp 443 repolink request DATA-4730 DATA-4730",
	}
	if diff := cmp.Diff(wantRules, groupRules(t, env)); diff != "" {
		t.Errorf("rules after the first request let go (-want +got):\n%s", diff)
	}
	if got, err := f.IngressRanges(ctx, firewallTarget); err != nil || len(got) != 0 {
		t.Errorf("IngressRanges of the first request = %v, %v; want none", got, err)
	}
	if got, err := f.IngressRanges(ctx, second); err != nil || !slices.Equal(got, ranges) {
		t.Errorf("IngressRanges of the second request = %v, %v; want %v", got, err, ranges)
	}

	// The last request to let go revokes the rules.
	change, err = f.SetIngressRanges(ctx, second, nil)
	if err != nil {
		t.Fatalf("SetIngressRanges with no ranges for the second request: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Removed: ranges}, change); diff != "" {
		t.Errorf("change when the last request lets go (-want +got):\n%s", diff)
	}
	if rules := env.sim.Snapshot().SecurityGroups[testGroup].Rules; len(rules) != 0 {
		t.Errorf("rules after both requests let go = %+v, want none", rules)
	}
}

func TestFirewallAdopterLetsGoFirst(t *testing.T) {
	ctx := context.Background()
	env, f, _ := startFirewall(t)
	second := firewallTarget
	second.RequestID = "DATA-4730"
	third := firewallTarget
	third.RequestID = "DATA-4740"

	for _, target := range []cloud.FirewallTarget{firewallTarget, second, third} {
		if _, err := f.SetIngressRanges(ctx, target, []string{"192.0.2.0/24"}); err != nil {
			t.Fatalf("SetIngressRanges of %s: %v", target.RequestID, err)
		}
	}
	change, err := f.SetIngressRanges(ctx, second, nil)
	if err != nil {
		t.Fatalf("SetIngressRanges with no ranges for %s: %v", second.RequestID, err)
	}
	want := cloud.FirewallChange{Kept: []string{"192.0.2.0/24"}, OtherRequests: []string{firewallTarget.RequestID, third.RequestID}}
	if diff := cmp.Diff(want, change); diff != "" {
		t.Errorf("change when an adopter lets go (-want +got):\n%s", diff)
	}
	wantTags := map[string]string{
		cloud.TagRequest:               firewallTarget.RequestID,
		adopterTagKey(third.RequestID): third.RequestID,
	}
	if diff := cmp.Diff(wantTags, ruleTags(t, env, "192.0.2.0/24")); diff != "" {
		t.Errorf("tags after an adopter let go (-want +got):\n%s", diff)
	}

	// The owner passes the rule to the remaining adopter, which revokes it.
	if _, err := f.SetIngressRanges(ctx, firewallTarget, nil); err != nil {
		t.Fatalf("SetIngressRanges with no ranges for the owner: %v", err)
	}
	wantTags = map[string]string{cloud.TagRequest: third.RequestID, adopterTagKey(third.RequestID): third.RequestID}
	if diff := cmp.Diff(wantTags, ruleTags(t, env, "192.0.2.0/24")); diff != "" {
		t.Errorf("tags after the owner let go (-want +got):\n%s", diff)
	}
	change, err = f.SetIngressRanges(ctx, third, nil)
	if err != nil {
		t.Fatalf("SetIngressRanges with no ranges for %s: %v", third.RequestID, err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Removed: []string{"192.0.2.0/24"}}, change); diff != "" {
		t.Errorf("change when the last request lets go (-want +got):\n%s", diff)
	}
}

func TestFirewallUntaggedRuleFoundByDescription(t *testing.T) {
	ctx := context.Background()
	_, f, p := startFirewall(t)
	if _, err := p.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(testGroup),
		IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges: []types.IpRange{{CidrIp: aws.String("192.0.2.0/24"), Description: aws.String(ruleDescription("DATA-4711"))}},
		}},
	}); err != nil {
		t.Fatalf("authorize an untagged rule: %v", err)
	}
	got, err := f.IngressRanges(ctx, firewallTarget)
	if err != nil {
		t.Fatalf("IngressRanges: %v", err)
	}
	if diff := cmp.Diff([]string{"192.0.2.0/24"}, got); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
}

func TestFirewallErrors(t *testing.T) {
	ctx := context.Background()
	_, f, _ := startFirewall(t)
	unknown := firewallTarget
	unknown.SecurityGroupID = "sg-0fff"
	noRegion := firewallTarget
	noRegion.AWSRegion = ""

	cases := []struct {
		name   string
		target cloud.FirewallTarget
		cidrs  []string
		want   string
	}{
		{"unknown group", unknown, []string{"192.0.2.0/24"}, workflow.ErrInvalidRequest},
		{"IPv6 range", firewallTarget, []string{"2001:db8::/32"}, workflow.ErrInvalidRequest},
		{"not a CIDR", firewallTarget, []string{"192.0.2.1"}, workflow.ErrInvalidRequest},
		{"missing region", noRegion, []string{"192.0.2.0/24"}, workflow.ErrInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.SetIngressRanges(ctx, tc.target, tc.cidrs)
			if got := workflow.NameOf(err); got != tc.want {
				t.Errorf("SetIngressRanges error = %v (name %q), want name %q", err, got, tc.want)
			}
		})
	}
}

func TestFirewallRuleLimitIsConflict(t *testing.T) {
	ctx := context.Background()
	_, f, _ := startFirewall(t)
	var cidrs []string
	for i := 0; i < 61; i++ {
		cidrs = append(cidrs, "10.0."+strconv.Itoa(i)+".0/24")
	}
	_, err := f.SetIngressRanges(ctx, firewallTarget, cidrs)
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Errorf("61 rules: error = %v (name %q), want %s", err, got, workflow.ErrConflict)
	}
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "RulesPerSecurityGroupLimitExceeded" {
		t.Errorf("61 rules: error %v does not carry RulesPerSecurityGroupLimitExceeded", err)
	}
}

func TestAuthorizeIngressForm(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"DescribeSecurityGroupRules":    {{body: `<R><securityGroupRuleSet/></R>`}},
		"AuthorizeSecurityGroupIngress": {{body: `<R><return>true</return></R>`}},
	})
	p := newTestProvider(t, rec.server.URL)
	f := NewFirewall(func(context.Context, string) (*Provider, error) { return p, nil })
	target := firewallTarget
	target.RequestID = "DATA 4711/ä"

	if _, err := f.SetIngressRanges(context.Background(), target, []string{"192.0.2.0/24"}); err != nil {
		t.Fatalf("SetIngressRanges: %v", err)
	}
	checkForm(t, rec.form("DescribeSecurityGroupRules"), map[string]string{
		"Filter.1.Name":    "group-id",
		"Filter.1.Value.1": testGroup,
	})
	checkForm(t, rec.form("AuthorizeSecurityGroupIngress"), map[string]string{
		"GroupId":                                testGroup,
		"IpPermissions.1.IpProtocol":             "tcp",
		"IpPermissions.1.FromPort":               "443",
		"IpPermissions.1.ToPort":                 "443",
		"IpPermissions.1.IpRanges.1.CidrIp":      "192.0.2.0/24",
		"IpPermissions.1.IpRanges.1.Description": "repolink request DATA 4711/-",
		"TagSpecification.1.ResourceType":        "security-group-rule",
		"TagSpecification.1.Tag.1.Key":           cloud.TagRequest,
		"TagSpecification.1.Tag.1.Value":         "DATA 4711/ä",
	})
	if diff := cmp.Diff([]string{"DescribeSecurityGroupRules", "AuthorizeSecurityGroupIngress"}, rec.actions()); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestRuleDescription(t *testing.T) {
	cases := []struct{ id, want string }{
		{"DATA-4711", "repolink request DATA-4711"},
		{"ops ticket #12", "repolink request ops ticket #12"},
		{"naïve", "repolink request na-ve"},
		{strings.Repeat("x", 300), ("repolink request " + strings.Repeat("x", 300))[:255]},
	}
	for _, tc := range cases {
		if got := ruleDescription(tc.id); got != tc.want {
			t.Errorf("ruleDescription(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
