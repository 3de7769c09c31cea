package teardownegress

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

type firewall struct {
	ranges []string
	sets   int
}

func (f *firewall) IngressRanges(context.Context, cloud.FirewallTarget) ([]string, error) {
	return f.ranges, nil
}

func (f *firewall) SetIngressRanges(_ context.Context, _ cloud.FirewallTarget, cidrs []string) error {
	f.ranges = cidrs
	f.sets++
	return nil
}

func TestRunRemovesRules(t *testing.T) {
	fw := &firewall{ranges: []string{"192.0.2.0/24"}}
	env := &workflow.Env{Firewall: func(context.Context, string) (cloud.Firewall, error) { return fw, nil }}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4720", Route: request.RouteEgressIP,
		Egress: &request.Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0abc", Port: 443}}}

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
