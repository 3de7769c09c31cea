package teardowntargetgroup

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

type network struct {
	cloud.AWSNetwork
	tg      *cloud.TargetGroup
	deleted []string
}

func (n *network) FindTargetGroup(context.Context, string) (*cloud.TargetGroup, error) {
	return n.tg, nil
}

func (n *network) DeleteTargetGroup(_ context.Context, arn string) error {
	n.deleted = append(n.deleted, arn)
	return nil
}

func TestRun(t *testing.T) {
	cases := []struct {
		name       string
		tg         *cloud.TargetGroup
		wantAction string
		wantErr    string
		wantDelete int
	}{
		{"own group", &cloud.TargetGroup{ARN: "arn:tg", Tags: map[string]string{cloud.TagRequest: "DATA-4711"}}, workflow.Deleted, "", 1},
		{"another request's group", &cloud.TargetGroup{ARN: "arn:tg", Tags: map[string]string{cloud.TagRequest: "DATA-1"}}, "", workflow.ErrConflict, 0},
		{"untagged group", &cloud.TargetGroup{ARN: "arn:tg"}, "", workflow.ErrConflict, 0},
		{"no group", nil, workflow.Skipped, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &network{tg: tc.tg}
			env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
			doc := workflow.Document{Request: request.Request{ID: "DATA-4711", AWS: &request.AWS{Region: "us-west-2"}}}
			out, err := Run(context.Background(), env, doc)
			if got := workflow.NameOf(err); got != tc.wantErr {
				t.Errorf("error = %v, want name %q", err, tc.wantErr)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
			if len(n.deleted) != tc.wantDelete {
				t.Errorf("deleted %v, want %d deletes", n.deleted, tc.wantDelete)
			}
		})
	}
}
