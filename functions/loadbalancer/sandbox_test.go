package loadbalancer

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/functions/targetgroup"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestSandboxDeletedTargetGroupConflicts(t *testing.T) {
	env, provider := awssandbox.Start(t)
	ctx := t.Context()
	aws := request.AWS{
		Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-01", "subnet-02"},
		Proxy: "none", TargetAddress: "10.0.1.26", Upstream: "pypi.internal.example.com:443",
	}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4722", AWS: &aws}, Execution: "DATA-4722"}
	tg, err := targetgroup.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("target group step: %v", err)
	}
	// A teardown between a failed run and its redrive deletes the group
	// that the document still names.
	if err := provider.DeleteTargetGroup(ctx, tg.ID); err != nil {
		t.Fatalf("DeleteTargetGroup: %v", err)
	}
	doc.Resources.TargetGroup = &tg

	_, err = Run(ctx, env, doc)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with a deleted target group = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), tg.ID) || !strings.Contains(err.Error(), "new run") {
		t.Errorf("error %q does not name the group and the fix", err)
	}
}

func TestSandboxListenerToOtherGroupConflicts(t *testing.T) {
	env, provider := awssandbox.Start(t)
	ctx := t.Context()
	aws := request.AWS{
		Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-01", "subnet-02"},
		Proxy: "none", TargetAddress: "10.0.1.26", Upstream: "pypi.internal.example.com:443",
	}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4722", AWS: &aws}, Execution: "DATA-4722"}
	tg, err := targetgroup.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("target group step: %v", err)
	}
	doc.Resources.TargetGroup = &tg
	// The first run creates the listener to tg and then waits for a
	// healthy target, which the sandbox address never becomes.
	if _, err := Run(ctx, env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("first Run = %v, want NotReady until a target is healthy", err)
	}

	other, err := provider.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "other-tg", RequestID: "DATA-4722", VPCID: "vpc-0abc", Port: 443, TargetType: "ip"})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	doc.Resources.TargetGroup = &workflow.TargetGroup{Result: workflow.Result{ID: other.ARN}}
	_, err = Run(ctx, env, doc)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with another target group = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), tg.ID) || !strings.Contains(err.Error(), other.ARN) {
		t.Errorf("error %q does not name both target groups", err)
	}
}
