package teardownconnections

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network is an endpoint service with connections that Reject records.
type network struct {
	cloud.AWSNetwork
	svc      *cloud.EndpointService
	conns    []cloud.EndpointConnection
	rejected []string
}

func (n *network) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	return n.svc, nil
}

func (n *network) EndpointConnections(context.Context, string) ([]cloud.EndpointConnection, error) {
	return n.conns, nil
}

func (n *network) RejectEndpointConnection(_ context.Context, _, endpointID string) error {
	n.rejected = append(n.rejected, endpointID)
	for i := range n.conns {
		if n.conns[i].EndpointID == endpointID {
			n.conns[i].State = "rejected"
		}
	}
	return nil
}

func document() workflow.Document {
	return workflow.Document{Request: request.Request{ID: "DATA-4711", AWS: &request.AWS{Region: "us-west-2"}}}
}

func envFor(n *network) *workflow.Env {
	return &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
}

func TestRunWaitsForLiveConnections(t *testing.T) {
	n := &network{
		svc: &cloud.EndpointService{ID: "vpce-svc-1"},
		conns: []cloud.EndpointConnection{
			{EndpointID: "vpce-old", State: "rejected"},
			{EndpointID: "vpce-1", State: "available"},
		},
	}
	_, err := Run(context.Background(), envFor(n), document())
	if workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("Run with an available connection = %v, want NotReady", err)
	}

	n.conns[1].State = "deleted"
	out, err := Run(context.Background(), envFor(n), document())
	if err != nil {
		t.Fatalf("Run with no live connection: %v", err)
	}
	if diff := cmp.Diff(Output{Action: workflow.Checked, ID: "vpce-svc-1"}, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestRejectLeavesDeadConnections(t *testing.T) {
	n := &network{
		svc: &cloud.EndpointService{ID: "vpce-svc-1"},
		conns: []cloud.EndpointConnection{
			{EndpointID: "vpce-old", State: "expired"},
			{EndpointID: "vpce-1", State: "available"},
			{EndpointID: "vpce-2", State: "pendingAcceptance"},
		},
	}
	out, err := Reject(context.Background(), envFor(n), document())
	if err != nil {
		t.Fatalf("Reject: %v", err)
	}
	if out.Action != workflow.Updated {
		t.Errorf("action = %q, want updated", out.Action)
	}
	if diff := cmp.Diff([]string{"vpce-1", "vpce-2"}, n.rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}

	again, err := Reject(context.Background(), envFor(n), document())
	if err != nil || again.Action != workflow.Skipped {
		t.Errorf("second Reject = %+v, %v; want skipped", again, err)
	}
}

func TestNoServiceSkips(t *testing.T) {
	for name, step := range map[string]func(context.Context, *workflow.Env, workflow.Document) (Output, error){"Run": Run, "Reject": Reject} {
		out, err := step(context.Background(), envFor(&network{}), document())
		if err != nil || out.Action != workflow.Skipped {
			t.Errorf("%s without a service = %+v, %v; want skipped", name, out, err)
		}
	}
}
