package teardownproxyvm

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

type network struct {
	cloud.AWSNetwork
	inst       *cloud.Instance
	terminated []string
}

func (n *network) FindInstance(_ context.Context, requestID, _ string) (*cloud.Instance, error) {
	if requestID != "DATA-4711" {
		return nil, nil
	}
	return n.inst, nil
}

func (n *network) TerminateInstance(_ context.Context, id string) error {
	n.terminated = append(n.terminated, id)
	n.inst = nil
	return nil
}

func TestRunTerminatesOnce(t *testing.T) {
	n := &network{inst: &cloud.Instance{ID: "i-0abc", State: "running"}}
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4711", AWS: &request.AWS{Region: "us-west-2"}}}

	out, err := Run(context.Background(), env, doc)
	if err != nil || out.Action != workflow.Deleted || out.ID != "i-0abc" {
		t.Errorf("first Run = %+v, %v; want deleted i-0abc", out, err)
	}
	out, err = Run(context.Background(), env, doc)
	if err != nil || out.Action != workflow.Skipped {
		t.Errorf("second Run = %+v, %v; want skipped", out, err)
	}
	if len(n.terminated) != 1 {
		t.Errorf("terminated %v, want one call", n.terminated)
	}
}
