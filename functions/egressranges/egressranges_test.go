package egressranges

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// awsOutput is shaped like the function's AWS output.
const awsOutput = `[
 {"ipv4_prefix":"192.0.2.0/24","effective":"2026-06-07T00:00:00Z","expires":"2027-06-07T00:00:00Z"},
 {"ipv4_prefix":"198.51.100.0/25","effective":"2026-11-04T00:00:00.000Z","expires":"2027-11-04T00:00:00Z"},
 {"ipv4_prefix":"203.0.113.0/24","effective":"2027-02-02T00:00:00Z","expires":"2028-02-02T00:00:00Z"},
 {"ipv4_prefix":"100.64.0.0/24","effective":"2025-01-01T00:00:00Z","expires":"2026-12-01T00:00:00Z"}
]`

// azureOutput is shaped like the Azure output, with its inline comments.
const azureOutput = `[
  {
    "ipv4_prefix": "192.0.2.0/24", // current range
    "effective": "2026-06-07T00:00:00Z",
    "expires": "2027-06-07T00:00:00Z",
    "published": "2026-04-07T00:00:00Z",
    "usage": ["external access", "https://example.com//not-a-comment"]
  }
]`

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want []Range
	}{
		{"array", `[{"ipv4_prefix":"192.0.2.0/24","effective":"2026-01-01T00:00:00Z","expires":"2027-01-01T00:00:00Z"}]`,
			[]Range{{"192.0.2.0/24", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"}}},
		{"bare object", `{"ipv4_prefix":"192.0.2.0/24","effective":"2026-01-01T00:00:00Z","expires":"2027-01-01T00:00:00Z"}`,
			[]Range{{"192.0.2.0/24", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"}}},
		{"azure comments", azureOutput, []Range{{"192.0.2.0/24", "2026-06-07T00:00:00Z", "2027-06-07T00:00:00Z"}}},
		{"comment on the last line", "[]// trailing", []Range{}},
		{"empty", "  ", nil},
		{"null", "null", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ranges (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	for _, raw := range []string{"not json", `[{"ipv4_prefix": 7}]`, `{"ipv4_prefix":`} {
		_, err := Parse(raw)
		if workflow.NameOf(err) != workflow.ErrTransient {
			t.Errorf("Parse(%q) = %v, want a Transient error", raw, err)
		}
	}
}

func TestStripCommentsKeepsStrings(t *testing.T) {
	raw := "{\"a\": \"x//y\", \"b\": \"q\\\"//r\"} // gone\n// whole line\n"
	want := "{\"a\": \"x//y\", \"b\": \"q\\\"//r\"} \n\n"
	if got := stripComments(raw); got != want {
		t.Errorf("stripComments = %q, want %q", got, want)
	}
}

func TestEffective(t *testing.T) {
	ranges, err := Parse(awsOutput)
	if err != nil {
		t.Fatal(err)
	}
	cidrs, next, err := Effective(ranges, now)
	if err != nil {
		t.Fatalf("Effective: %v", err)
	}
	if diff := cmp.Diff([]string{"192.0.2.0/24", "198.51.100.0/25"}, cidrs); diff != "" {
		t.Errorf("ranges in effect (-want +got):\n%s", diff)
	}
	if want := time.Date(2027, 2, 2, 0, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next change = %v, want %v, when the announced range takes effect", next, want)
	}
}

func TestEffectiveBounds(t *testing.T) {
	cases := []struct {
		name     string
		r        Range
		want     []string
		wantNext time.Time
	}{
		{"effective now", Range{"192.0.2.0/24", "2026-12-04T12:00:00Z", ""}, []string{"192.0.2.0/24"}, time.Time{}},
		{"expires now", Range{"192.0.2.0/24", "", "2026-12-04T12:00:00Z"}, nil, time.Time{}},
		{"no times", Range{"192.0.2.0/24", "", ""}, []string{"192.0.2.0/24"}, time.Time{}},
		{"host bits set", Range{"192.0.2.7/24", "", ""}, []string{"192.0.2.0/24"}, time.Time{}},
		{"time without zone", Range{"192.0.2.0/24", "2026-12-04 11:00:00", "2026-12-05"}, []string{"192.0.2.0/24"}, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
		{"no prefix", Range{"", "", ""}, nil, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := Effective([]Range{tc.r}, now)
			if err != nil {
				t.Fatalf("Effective: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ranges (-want +got):\n%s", diff)
			}
			if !next.Equal(tc.wantNext) {
				t.Errorf("next = %v, want %v", next, tc.wantNext)
			}
		})
	}
}

func TestEffectiveMalformed(t *testing.T) {
	for _, r := range []Range{
		{"2001:db8::/32", "", ""},
		{"192.0.2.0", "", ""},
		{"192.0.2.0/24", "yesterday", ""},
		{"192.0.2.0/24", "", "12/05/2026"},
	} {
		_, _, err := Effective([]Range{r}, now)
		if workflow.NameOf(err) != workflow.ErrTransient {
			t.Errorf("Effective(%+v) = %v, want a Transient error", r, err)
		}
	}
}

// fakeConn returns one value for the egress statement.
type fakeConn struct {
	value string
	err   error
}

func (c *fakeConn) Exec(context.Context, string) error { return errors.New("unexpected Exec") }

func (c *fakeConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	if stmt != Statement {
		return nil, errors.New("unexpected statement " + stmt)
	}
	if c.err != nil {
		return nil, c.err
	}
	return []snowflake.Row{{"system$get_snowflake_egress_ip_ranges()": c.value}}, nil
}

// fakeFirewall keeps the ranges and target tags of one target. With shared
// set, rules of the requests in shared already allow every range, so
// SetIngressRanges adopts them in place of adding rules.
type fakeFirewall struct {
	ranges  []string
	tags    []string
	targets []cloud.FirewallTarget
	sets    int
	shared  []string
}

func (f *fakeFirewall) IngressRanges(_ context.Context, target cloud.FirewallTarget) ([]string, error) {
	f.targets = append(f.targets, target)
	return slices.Clone(f.ranges), nil
}

func (f *fakeFirewall) SetIngressRanges(_ context.Context, target cloud.FirewallTarget, cidrs []string) (cloud.FirewallChange, error) {
	f.targets = append(f.targets, target)
	var change cloud.FirewallChange
	for _, cidr := range cidrs {
		switch {
		case slices.Contains(f.ranges, cidr):
		case len(f.shared) > 0:
			change.Adopted = append(change.Adopted, cidr)
			change.OtherRequests = f.shared
		default:
			change.Added = append(change.Added, cidr)
		}
	}
	if len(f.ranges) > 0 && !slices.Equal(f.tags, target.TargetTags) {
		change.Updated = true
	}
	f.ranges = slices.Clone(cidrs)
	f.tags = slices.Clone(target.TargetTags)
	f.sets++
	return change, nil
}

func egressRequest() request.Request {
	return request.Request{
		ID:    "DATA-4720",
		Route: request.RouteEgressIP,
		Egress: &request.Egress{
			Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0123456789abcdef0", Port: 8443,
		},
	}
}

func newEnv(conn *fakeConn, fw *fakeFirewall, clouds *[]string) *workflow.Env {
	return &workflow.Env{
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
		Firewall: func(_ context.Context, cloudName string) (cloud.Firewall, error) {
			*clouds = append(*clouds, cloudName)
			return fw, nil
		},
		Now: func() time.Time { return now },
	}
}

func TestRunCreatesUpdatesAdopts(t *testing.T) {
	conn := &fakeConn{value: awsOutput}
	fw := &fakeFirewall{}
	var clouds []string
	env := newEnv(conn, fw, &clouds)
	doc := workflow.Document{Request: egressRequest()}
	ctx := context.Background()

	got, err := Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	want := Output{
		Result:     workflow.Result{Action: workflow.Created, ID: "sg-0123456789abcdef0"},
		Ranges:     []string{"192.0.2.0/24", "198.51.100.0/25"},
		NextChange: "2027-02-02T00:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first Run (-want +got):\n%s", diff)
	}
	wantTarget := cloud.FirewallTarget{RequestID: "DATA-4720", Port: 8443, AWSRegion: "us-west-2", SecurityGroupID: "sg-0123456789abcdef0"}
	if diff := cmp.Diff(wantTarget, fw.targets[0]); diff != "" {
		t.Errorf("firewall target (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"aws"}, clouds); diff != "" {
		t.Errorf("firewall clouds (-want +got):\n%s", diff)
	}

	got, err = Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if got.Action != workflow.Adopted {
		t.Errorf("second Run action = %q, want adopted", got.Action)
	}
	if diff := cmp.Diff(want.Ranges, fw.ranges); diff != "" {
		t.Errorf("firewall ranges after the second Run (-want +got):\n%s", diff)
	}

	// Two months later the announced range is in effect.
	env.Now = func() time.Time { return now.AddDate(0, 2, 0) }
	got, err = Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("later Run: %v", err)
	}
	if got.Action != workflow.Updated {
		t.Errorf("later Run action = %q, want updated", got.Action)
	}
	if diff := cmp.Diff([]string{"192.0.2.0/24", "198.51.100.0/25", "203.0.113.0/24"}, fw.ranges); diff != "" {
		t.Errorf("firewall ranges later (-want +got):\n%s", diff)
	}
}

func TestRunUpdatesTargetTags(t *testing.T) {
	fw := &fakeFirewall{}
	var clouds []string
	env := newEnv(&fakeConn{value: awsOutput}, fw, &clouds)
	req := egressRequest()
	req.Egress = &request.Egress{Cloud: "gcp", Project: "proj-1", Network: "net1", TargetTags: []string{"pypi"}, Port: 443}
	ctx := context.Background()
	if _, err := Run(ctx, env, workflow.Document{Request: req}); err != nil {
		t.Fatalf("first Run: %v", err)
	}

	req.Egress.TargetTags = []string{"other"}
	got, err := Run(ctx, env, workflow.Document{Request: req})
	if err != nil {
		t.Fatalf("Run with new target tags: %v", err)
	}
	if got.Action != workflow.Updated {
		t.Errorf("Run with new target tags: action = %q, want updated", got.Action)
	}
	if diff := cmp.Diff([]string{"other"}, fw.tags); diff != "" {
		t.Errorf("target tags of the rules (-want +got):\n%s", diff)
	}
}

func TestRunAdoptsSharedRules(t *testing.T) {
	fw := &fakeFirewall{shared: []string{"DATA-4710"}}
	var clouds []string
	env := newEnv(&fakeConn{value: awsOutput}, fw, &clouds)
	doc := workflow.Document{Request: egressRequest()}

	got, err := Run(context.Background(), env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Action != workflow.Adopted {
		t.Errorf("Run on rules of another request: action = %q, want adopted", got.Action)
	}
	if diff := cmp.Diff([]string{"192.0.2.0/24", "198.51.100.0/25"}, got.Ranges); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
}

func TestFirstAction(t *testing.T) {
	cases := []struct {
		name   string
		before []string
		change cloud.FirewallChange
		want   string
	}{
		{"new rules", nil, cloud.FirewallChange{Added: []string{"192.0.2.0/24"}}, workflow.Created},
		{"only adopted", nil, cloud.FirewallChange{Adopted: []string{"192.0.2.0/24"}}, workflow.Adopted},
		{"new and adopted", nil, cloud.FirewallChange{Added: []string{"192.0.2.0/24"}, Adopted: []string{"198.51.100.0/25"}}, workflow.Created},
		{"changed set", []string{"192.0.2.0/24"}, cloud.FirewallChange{Adopted: []string{"198.51.100.0/25"}}, workflow.Updated},
	}
	for _, tc := range cases {
		if got := firstAction(tc.before, tc.change); got != tc.want {
			t.Errorf("%s: firstAction = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRunRejectsNoRanges(t *testing.T) {
	fw := &fakeFirewall{ranges: []string{"192.0.2.0/24"}}
	var clouds []string
	env := newEnv(&fakeConn{value: `[{"ipv4_prefix":"192.0.2.0/24","expires":"2026-01-01T00:00:00Z"}]`}, fw, &clouds)

	_, err := Run(context.Background(), env, workflow.Document{Request: egressRequest()})
	if workflow.NameOf(err) != workflow.ErrRejected {
		t.Errorf("Run with only expired ranges = %v, want Rejected", err)
	}
	if fw.sets != 0 {
		t.Errorf("firewall was changed %d times, want untouched", fw.sets)
	}
}

func TestRunSnowflakeError(t *testing.T) {
	boom := errors.New("connection reset")
	var clouds []string
	env := newEnv(&fakeConn{err: boom}, &fakeFirewall{}, &clouds)
	_, err := Run(context.Background(), env, workflow.Document{Request: egressRequest()})
	if !errors.Is(err, boom) {
		t.Errorf("Run = %v, want the query error wrapped", err)
	}
	if len(clouds) != 0 {
		t.Errorf("firewall requested after a failed read: %v", clouds)
	}
}

func TestTargetID(t *testing.T) {
	cases := []struct {
		target cloud.FirewallTarget
		want   string
	}{
		{cloud.FirewallTarget{SecurityGroupID: "sg-1"}, "sg-1"},
		{cloud.FirewallTarget{NetworkSecurityGroupID: "/subscriptions/x/nsg"}, "/subscriptions/x/nsg"},
		{cloud.FirewallTarget{Project: "p", Network: "n"}, "projects/p/global/networks/n"},
	}
	for _, tc := range cases {
		if got := TargetID(tc.target); got != tc.want {
			t.Errorf("TargetID(%+v) = %q, want %q", tc.target, got, tc.want)
		}
	}
}

func TestTargetPortDefaultsToIndexPort(t *testing.T) {
	cases := map[string]int{
		"https://pypi.partner.example.com/simple/":      443,
		"https://pypi.partner.example.com:8443/simple/": 8443,
	}
	for indexURL, want := range cases {
		req := egressRequest()
		req.Repository.IndexURL = indexURL
		req.Egress.Port = 0
		if got := Target(req).Port; got != want {
			t.Errorf("index %s: Target port = %d, want %d", indexURL, got, want)
		}
	}
}

func TestRunSkipsTornDownRequest(t *testing.T) {
	fw := &fakeFirewall{}
	var clouds []string
	env := newEnv(&fakeConn{value: awsOutput}, fw, &clouds)
	var asked []string
	env.TornDown = func(_ context.Context, requestID string) (string, error) {
		asked = append(asked, requestID)
		return "DATA-4720-teardown", nil
	}

	got, err := Run(context.Background(), env, workflow.Document{Request: egressRequest()})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Action != workflow.Skipped {
		t.Errorf("action = %q, want skipped", got.Action)
	}
	for _, want := range []string{"DATA-4720-teardown", "run the request again"} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("reason %q does not contain %q", got.Reason, want)
		}
	}
	if fw.sets != 0 || len(clouds) != 0 {
		t.Errorf("Run changed the firewall %d times through %v, want no change", fw.sets, clouds)
	}
	if !slices.Equal(asked, []string{"DATA-4720"}) {
		t.Errorf("TornDown asked for %v, want [DATA-4720]", asked)
	}
}

func TestRunRefreshesProvisionedRequest(t *testing.T) {
	fw := &fakeFirewall{}
	var clouds []string
	env := newEnv(&fakeConn{value: awsOutput}, fw, &clouds)
	env.TornDown = func(context.Context, string) (string, error) { return "", nil }

	got, err := Run(context.Background(), env, workflow.Document{Request: egressRequest()})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Action != workflow.Created || fw.sets != 1 {
		t.Errorf("Run of a request that ran after its teardown = %s with %d changes, want created with 1", got.Action, fw.sets)
	}
}
