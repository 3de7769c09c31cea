package targetgroup

import (
	"slices"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/shared/cloud"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// directDocument is a proxy none request for the repository at address.
func directDocument(address, execution string) workflow.Document {
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", Proxy: "none", TargetAddress: address, Upstream: "pypi.internal.example.com:8443"}
	return workflow.Document{Request: request.Request{ID: "DATA-4722", AWS: &aws}, Execution: execution}
}

// targets returns the registered targets of the group as ID:port, sorted.
func targets(t *testing.T, p *awsadapter.Provider, arn string) []string {
	t.Helper()
	health, err := p.TargetHealth(t.Context(), arn)
	if err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}
	var out []string
	for _, h := range health {
		out = append(out, targetKey(h.ID, h.Port))
	}
	slices.Sort(out)
	return out
}

func TestSandboxChangedTargetAddress(t *testing.T) {
	env, p := awssandbox.Start(t)
	ctx := t.Context()

	first, err := Run(ctx, env, directDocument("10.0.1.26", "DATA-4722"))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if first.Action != workflow.Created {
		t.Errorf("first run action = %q, want created", first.Action)
	}

	changed, err := Run(ctx, env, directDocument("10.0.1.27", "DATA-4722-r2"))
	if err != nil {
		t.Fatalf("run with the changed address: %v", err)
	}
	if changed.Action != workflow.Updated {
		t.Errorf("changed address action = %q, want updated", changed.Action)
	}
	if got := targets(t, p, changed.ID); !slices.Equal(got, []string{"10.0.1.27:8443"}) {
		t.Errorf("targets after the change = %q, want only 10.0.1.27:8443", got)
	}
	tg, err := p.FindTargetGroup(ctx, workflow.NamesFor(directDocument("", "").Request).TargetGroup)
	if err != nil || tg == nil {
		t.Fatalf("FindTargetGroup = %v, %v", tg, err)
	}
	if tg.Tags[cloud.TagTarget] != "10.0.1.27:8443" {
		t.Errorf("tag %s = %q, want 10.0.1.27:8443", cloud.TagTarget, tg.Tags[cloud.TagTarget])
	}

	again, err := Run(ctx, env, directDocument("10.0.1.27", "DATA-4722-r3"))
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Action != workflow.Adopted {
		t.Errorf("rerun action = %q, want adopted", again.Action)
	}
	if got := targets(t, p, again.ID); !slices.Equal(got, []string{"10.0.1.27:8443"}) {
		t.Errorf("targets after the rerun = %q, want only 10.0.1.27:8443", got)
	}
}

func TestSandboxKeepsOthersTargets(t *testing.T) {
	env, p := awssandbox.Start(t)
	ctx := t.Context()
	out, err := Run(ctx, env, directDocument("10.0.1.26", "DATA-4722"))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if err := p.RegisterTarget(ctx, out.ID, "10.0.9.9", 8443); err != nil {
		t.Fatalf("register another target: %v", err)
	}

	changed, err := Run(ctx, env, directDocument("10.0.1.27", "DATA-4722-r2"))
	if err != nil {
		t.Fatalf("run with the changed address: %v", err)
	}
	if changed.Action != workflow.Updated {
		t.Errorf("changed address action = %q, want updated", changed.Action)
	}
	if got := targets(t, p, out.ID); !slices.Equal(got, []string{"10.0.1.27:8443", "10.0.9.9:8443"}) {
		t.Errorf("targets = %q, want the new address and the target registered by someone else", got)
	}
}

func TestSandboxGroupWithoutRecord(t *testing.T) {
	env, p := awssandbox.Start(t)
	ctx := t.Context()
	name := workflow.NamesFor(directDocument("", "").Request).TargetGroup
	tg, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: name, RequestID: "DATA-4722", VPCID: "vpc-0abc", Port: 8443, TargetType: "ip"})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	if err := p.RegisterTarget(ctx, tg.ARN, "10.0.1.26", 8443); err != nil {
		t.Fatalf("RegisterTarget: %v", err)
	}

	_, err = Run(ctx, env, directDocument("10.0.1.27", "DATA-4722-r2"))
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("run on a group without a record = %v, want Conflict", err)
	}
	if got := targets(t, p, tg.ARN); !slices.Equal(got, []string{"10.0.1.26:8443", "10.0.1.27:8443"}) {
		t.Errorf("targets = %q, want both, because repolink cannot tell who registered 10.0.1.26", got)
	}

	// The failed run recorded the new target, so the next run keeps the
	// target that a person left registered.
	again, err := Run(ctx, env, directDocument("10.0.1.27", "DATA-4722-r3"))
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Action != workflow.Adopted {
		t.Errorf("rerun action = %q, want adopted", again.Action)
	}
}
