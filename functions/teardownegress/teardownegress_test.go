package teardownegress

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// firewall keeps the ranges of one request. Rules for the ranges in kept
// are also relied on by the requests in others, so removing the request's
// ranges keeps them.
type firewall struct {
	ranges []string
	kept   []string
	others []string
	sets   int
}

func (f *firewall) IngressRanges(context.Context, cloud.FirewallTarget) ([]string, error) {
	return f.ranges, nil
}

func (f *firewall) SetIngressRanges(_ context.Context, _ cloud.FirewallTarget, cidrs []string) (cloud.FirewallChange, error) {
	var change cloud.FirewallChange
	for _, cidr := range f.ranges {
		switch {
		case slices.Contains(cidrs, cidr):
		case slices.Contains(f.kept, cidr):
			change.Kept = append(change.Kept, cidr)
			change.OtherRequests = f.others
		default:
			change.Removed = append(change.Removed, cidr)
		}
	}
	f.ranges = cidrs
	f.sets++
	return change, nil
}

func egressDocument() workflow.Document {
	return workflow.Document{Request: request.Request{ID: "DATA-4720", Route: request.RouteEgressIP,
		Egress: &request.Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0abc", Port: 443}}}
}

func TestRunRemovesRules(t *testing.T) {
	fw := &firewall{ranges: []string{"192.0.2.0/24"}}
	env := &workflow.Env{Firewall: func(context.Context, string) (cloud.Firewall, error) { return fw, nil }}
	doc := egressDocument()

	out, err := Run(context.Background(), env, doc)
	if err != nil || out.Action != workflow.Deleted || out.ID != "sg-0abc" {
		t.Errorf("first Run = %+v, %v; want deleted sg-0abc", out, err)
	}
	if len(fw.ranges) != 0 {
		t.Errorf("ranges left = %v, want none", fw.ranges)
	}
	out, err = Run(context.Background(), env, doc)
	if err != nil || out.Action != workflow.Skipped {
		t.Errorf("second Run = %+v, %v; want skipped", out, err)
	}
}

func TestRunKeepsSharedRules(t *testing.T) {
	fw := &firewall{ranges: []string{"192.0.2.0/24"}, kept: []string{"192.0.2.0/24"}, others: []string{"DATA-4730"}}
	env := &workflow.Env{Firewall: func(context.Context, string) (cloud.Firewall, error) { return fw, nil }}

	out, err := Run(context.Background(), env, egressDocument())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := Output{Result: workflow.Result{Action: workflow.Kept, ID: "sg-0abc",
		Reason: "rules for 192.0.2.0/24 kept for DATA-4730, which still relies on them"}, KeptFor: []string{"DATA-4730"}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("Run on a rule another request relies on (-want +got):\n%s", diff)
	}
}

func TestRunListsKeptBesideDeletedRules(t *testing.T) {
	fw := &firewall{ranges: []string{"192.0.2.0/24", "198.51.100.0/25"}, kept: []string{"198.51.100.0/25"},
		others: []string{"DATA-4730", "DATA-4731"}}
	env := &workflow.Env{Firewall: func(context.Context, string) (cloud.Firewall, error) { return fw, nil }}

	out, err := Run(context.Background(), env, egressDocument())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := Output{Result: workflow.Result{Action: workflow.Deleted, ID: "sg-0abc"}, KeptFor: []string{"DATA-4730", "DATA-4731"},
		Kept: []Kept{{Type: "firewall rules", Name: "sg-0abc 198.51.100.0/25",
			Reason: "kept for DATA-4730, DATA-4731, which still rely on them"}}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("Run on one owned and one shared rule (-want +got):\n%s", diff)
	}
}

func TestRunNamesAdministratorRules(t *testing.T) {
	fw := &firewall{ranges: []string{"192.0.2.0/24"}, kept: []string{"192.0.2.0/24"}}
	env := &workflow.Env{Firewall: func(context.Context, string) (cloud.Firewall, error) { return fw, nil }}

	out, err := Run(context.Background(), env, egressDocument())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Kept {
		t.Errorf("action = %q, want kept", out.Action)
	}
	if want := "rules for 192.0.2.0/24 kept because their owner outside repolink still relies on them"; out.Reason != want {
		t.Errorf("reason = %q, want %q", out.Reason, want)
	}
}
