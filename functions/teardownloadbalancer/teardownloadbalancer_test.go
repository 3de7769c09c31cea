package teardownloadbalancer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network records deletes in order.
type network struct {
	cloud.AWSNetwork
	lb      *cloud.LoadBalancer
	deleted []string
}

func (n *network) FindLoadBalancer(context.Context, string) (*cloud.LoadBalancer, error) {
	return n.lb, nil
}

func (n *network) FindListener(context.Context, string, int) (*cloud.Listener, error) {
	return &cloud.Listener{ARN: "arn:listener", Protocol: "TCP", Port: 443}, nil
}

func (n *network) DeleteListener(_ context.Context, arn string) error {
	n.deleted = append(n.deleted, arn)
	return nil
}

func (n *network) DeleteLoadBalancer(_ context.Context, arn string) error {
	n.deleted = append(n.deleted, arn)
	return nil
}

func run(n *network) (Output, error) {
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4711", AWS: &request.AWS{Region: "us-west-2"}}}
	return Run(context.Background(), env, doc)
}

func TestRunDeletesListenerFirst(t *testing.T) {
	n := &network{lb: &cloud.LoadBalancer{ARN: "arn:lb", Tags: map[string]string{cloud.TagRequest: "DATA-4711"}}}
	out, err := run(n)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The listener is listed too, so that the teardown output names it.
	want := Output{Action: workflow.Deleted, ID: "arn:lb", Related: []workflow.Result{{Action: workflow.Deleted, ID: "arn:listener"}}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"arn:listener", "arn:lb"}, n.deleted); diff != "" {
		t.Errorf("delete order (-want +got):\n%s", diff)
	}
}

func TestRunKeepsForeignLoadBalancer(t *testing.T) {
	n := &network{lb: &cloud.LoadBalancer{ARN: "arn:lb", Tags: map[string]string{cloud.TagRequest: "DATA-9999"}}}
	_, err := run(n)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Errorf("Run on another request's load balancer = %v, want Conflict", err)
	}
	if len(n.deleted) != 0 {
		t.Errorf("deleted %v, want nothing", n.deleted)
	}
}

func TestRunAbsentSkips(t *testing.T) {
	out, err := run(&network{})
	if err != nil || out.Action != workflow.Skipped {
		t.Errorf("Run without a load balancer = %+v, %v; want skipped", out, err)
	}
}
