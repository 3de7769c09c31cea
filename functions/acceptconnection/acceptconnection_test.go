package acceptconnection

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network is a fake with only the connection calls.
type network struct {
	cloud.AWSNetwork
	conns    []cloud.EndpointConnection
	accepted []string
}

func (n *network) EndpointConnections(context.Context, string) ([]cloud.EndpointConnection, error) {
	return n.conns, nil
}

func (n *network) AcceptEndpointConnection(_ context.Context, _, id string) error {
	n.accepted = append(n.accepted, id)
	return nil
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		conns      []cloud.EndpointConnection
		wantErr    string
		wantAction string
		accepted   int
	}{
		{name: "no request yet", wantErr: workflow.ErrNotReady},
		{name: "pending acceptance is accepted", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "pendingAcceptance", Owner: "210987654321"}}, wantAction: workflow.Created, accepted: 1},
		{name: "pending after acceptance is adopted", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "pending"}}, wantAction: workflow.Adopted},
		{name: "available is adopted", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "available"}}, wantAction: workflow.Adopted},
		{name: "rejected is terminal", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "rejected"}}, wantErr: workflow.ErrRejected},
		{name: "other owner is ignored", conns: []cloud.EndpointConnection{{EndpointID: "vpce-9", State: "pendingAcceptance", Owner: "111122223333"}}, wantErr: workflow.ErrNotReady},
		{name: "failed is terminal", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "failed"}}, wantErr: workflow.ErrRejected},
		{name: "expired is terminal", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "Expired"}}, wantErr: workflow.ErrRejected},
		{name: "deleted is terminal", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "deleted"}}, wantErr: workflow.ErrRejected},
		{name: "unknown state waits", conns: []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "Partial"}}, wantErr: workflow.ErrNotReady},
		{name: "unknown state waits over an old failure", conns: []cloud.EndpointConnection{{EndpointID: "vpce-0", State: "rejected"}, {EndpointID: "vpce-1", State: "Partial"}}, wantErr: workflow.ErrNotReady},
		{name: "live wins over an old failure", conns: []cloud.EndpointConnection{{EndpointID: "vpce-0", State: "expired"}, {EndpointID: "vpce-1", State: "available"}}, wantAction: workflow.Adopted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{conns: tt.conns}
			env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return fake, nil }}
			doc := workflow.Document{
				Request: request.Request{ID: "T-1", AWS: &request.AWS{Region: "us-west-2"}},
				Resources: workflow.Resources{
					EndpointService: &workflow.EndpointService{Result: workflow.Result{ID: "vpce-svc-1"}, Principal: "arn:aws:iam::210987654321:root"},
					Endpoint:        &workflow.Endpoint{Host: "pypi.corp.example.com"},
				},
			}
			out, err := Run(context.Background(), env, doc)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error name = %q (%v), want %q", got, err, tt.wantErr)
			}
			if out.Action != tt.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tt.wantAction)
			}
			if len(fake.accepted) != tt.accepted {
				t.Errorf("accepted %v, want %d acceptances", fake.accepted, tt.accepted)
			}
		})
	}
}
