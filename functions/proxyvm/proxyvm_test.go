package proxyvm

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestRunSkipsWithoutProxy(t *testing.T) {
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) {
		t.Error("proxy none asked for the AWS adapter")
		return nil, nil
	}}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4722", AWS: &request.AWS{Region: "us-west-2", Proxy: "none", TargetAddress: "10.0.1.25"}}}

	out, err := Run(context.Background(), env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Skipped || out.ID != "none" {
		t.Errorf("Run = %+v, want skipped with ID none", out)
	}
}

func TestDirect(t *testing.T) {
	cases := []struct {
		aws  *request.AWS
		want bool
	}{
		{&request.AWS{Proxy: "none"}, true},
		{&request.AWS{Proxy: "nginx"}, false},
		{&request.AWS{}, false},
		{nil, false},
	}
	for _, tc := range cases {
		if got := Direct(request.Request{AWS: tc.aws}); got != tc.want {
			t.Errorf("Direct(%+v) = %v, want %v", tc.aws, got, tc.want)
		}
	}
}
