package teardownservice

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

type network struct {
	cloud.AWSNetwork
	svc    *cloud.EndpointService
	result error
}

func (n *network) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	return n.svc, nil
}

func (n *network) DeleteEndpointService(context.Context, string) error { return n.result }

func TestRun(t *testing.T) {
	svc := &cloud.EndpointService{ID: "vpce-svc-1"}
	cases := []struct {
		name       string
		n          *network
		wantAction string
		wantErr    string
	}{
		{"deleted", &network{svc: svc}, workflow.Deleted, ""},
		{"connections left", &network{svc: svc, result: workflow.NotReady("connections left")}, "", workflow.ErrNotReady},
		{"absent", &network{}, workflow.Skipped, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return tc.n, nil }}
			doc := workflow.Document{Request: request.Request{ID: "DATA-4711", AWS: &request.AWS{Region: "us-west-2"}}}
			out, err := Run(context.Background(), env, doc)
			if got := workflow.NameOf(err); got != tc.wantErr {
				t.Errorf("error = %v, want name %q", err, tc.wantErr)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
		})
	}
}
