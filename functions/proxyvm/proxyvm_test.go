package proxyvm

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/shared/cloud"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
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
	if out.Action != workflow.Skipped || out.ID != "" {
		t.Errorf("Run = %+v, want skipped with no ID", out)
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

// startSandboxAWS starts the sandbox AWS front end in memory and returns an
// environment whose AWS adapter uses it, with the VPC resolver as the proxy
// VM's resolver.
func startSandboxAWS(t *testing.T) (*workflow.Env, *awsadapter.Provider) {
	t.Helper()
	env, provider := awssandbox.Start(t)
	env.ProxyResolver = "169.254.169.253"
	return env, provider
}

func exampleDocument(t *testing.T) workflow.Document {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return workflow.Document{Request: req, Execution: "DATA-4711"}
}

func TestRunReplacesTerminatedInstance(t *testing.T) {
	ctx := t.Context()
	env, provider := startSandboxAWS(t)
	doc := exampleDocument(t)

	first, err := Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	seen := map[string]bool{first.ID: true}

	// A teardown terminates the instance, and a redrive of the same
	// execution runs the step again with the same client token. Each
	// round launches an instance that no earlier round returned.
	previous := first.ID
	for round := 1; round <= 2; round++ {
		if err := provider.TerminateInstance(ctx, previous); err != nil {
			t.Fatalf("terminate %s: %v", previous, err)
		}
		out, err := Run(ctx, env, doc)
		if err != nil {
			t.Fatalf("Run after terminating %s: %v", previous, err)
		}
		if seen[out.ID] {
			t.Fatalf("round %d returned instance %s again, want a new one", round, out.ID)
		}
		if out.Action != workflow.Created {
			t.Errorf("round %d action = %s, want %s", round, out.Action, workflow.Created)
		}
		seen[out.ID] = true

		// A retry of the step adopts the replacement.
		again, err := Run(ctx, env, doc)
		if err != nil {
			t.Fatalf("retry in round %d: %v", round, err)
		}
		if again.ID != out.ID {
			t.Errorf("retry in round %d = %s, want %s", round, again.ID, out.ID)
		}
		previous = out.ID
	}
}

func TestNextClientTokenFitsEC2(t *testing.T) {
	long := "repolink-0123abcd-vm-" + strings.Repeat("x", 80)
	token := nextClientToken(long, "i-0123456789abcdef0")
	if len(token) > 64 {
		t.Errorf("token has %d characters, want at most 64", len(token))
	}
	if token == nextClientToken(long, "i-0123456789abcdef1") {
		t.Error("two terminated instances give the same token")
	}
	if token != nextClientToken(long, "i-0123456789abcdef0") {
		t.Error("the same terminated instance gives two tokens")
	}
}

func TestRunChangedUpstreamConflicts(t *testing.T) {
	ctx := t.Context()
	env, _ := startSandboxAWS(t)
	doc := exampleDocument(t)
	first, err := Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	old := doc.Request.AWS.Upstream

	changed := exampleDocument(t)
	changed.Execution = "DATA-4711-r2"
	changed.Request.AWS.Upstream = "10.9.9.9:8443"
	_, err = Run(ctx, env, changed)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with a changed upstream = %v, want Conflict", err)
	}
	for _, want := range []string{first.ID, "forwards to " + old, "aws.upstream is 10.9.9.9:8443", "teardown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	changed.Request.AWS.Upstream = old
	changed.Request.Repository.ExtraAllowedPrefixes = append(changed.Request.Repository.ExtraAllowedPrefixes, "https://files.corp.example.com/")
	_, err = Run(ctx, env, changed)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with another extra prefix = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), "files.corp.example.com") {
		t.Errorf("error %q does not name the new host", err)
	}

	changed.Request.Repository.ExtraAllowedPrefixes = doc.Request.Repository.ExtraAllowedPrefixes
	changed.Request.AWS.InstanceType = "t3.large"
	_, err = Run(ctx, env, changed)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with another instance type = %v, want Conflict", err)
	}
	if doc.Request.AWS.InstanceType == "" {
		t.Fatal("the example request has no instance type after parsing")
	}
	if !strings.Contains(err.Error(), "aws.instance_type "+doc.Request.AWS.InstanceType) || !strings.Contains(err.Error(), "t3.large") {
		t.Errorf("error %q does not name both instance types", err)
	}

	changed.Request.AWS.InstanceType = doc.Request.AWS.InstanceType
	again, err := Run(ctx, env, changed)
	if err != nil {
		t.Fatalf("Run with the original settings: %v", err)
	}
	if again.ID != first.ID || again.Action != workflow.Adopted {
		t.Errorf("Run with the original settings = %s %s, want %s adopted", again.Action, again.ID, first.ID)
	}
}

func TestRunNamesMalformedImage(t *testing.T) {
	env, _ := startSandboxAWS(t)
	doc := exampleDocument(t)
	doc.Request.AWS.ImageID = "ubuntu"

	_, err := Run(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Run with image ubuntu = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.aws.image_id", "ubuntu", "InvalidAMIID.Malformed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestRunRejectsGroupOfOtherVPC(t *testing.T) {
	env, provider, sim := awssandbox.StartSim(t)
	env.ProxyResolver = "169.254.169.253"
	if err := sim.EnsureSecurityGroup("sg-0a1b2c3d4e5f60999", "us-west-2", "vpc-0ffff"); err != nil {
		t.Fatal(err)
	}
	doc := exampleDocument(t)
	doc.Request.AWS.SecurityGroupIDs = []string{"sg-0a1b2c3d4e5f60999"}

	_, err := Run(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Run with a group of another VPC = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.aws.security_group_ids", "sg-0a1b2c3d4e5f60999 is in vpc-0ffff"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !strings.Contains(err.Error(), "run 'repolink teardown DATA-4711'") {
		t.Errorf("error %q does not advise the teardown of DATA-4711 first", err)
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
	inst, err := provider.FindInstance(t.Context(), doc.Request.ID, workflow.NamesFor(doc.Request).ProxyVM)
	if err != nil {
		t.Fatal(err)
	}
	if inst != nil {
		t.Errorf("Run launched instance %s with a group of another VPC", inst.ID)
	}
}

func TestLaunchErrorMissingGroupAdvisesTeardown(t *testing.T) {
	spec := cloud.InstanceSpec{Name: "rl-proxy", SecurityGroupIDs: []string{"sg-00000000000000bad"},
		Tags: map[string]string{cloud.TagExecution: "DATA-4711"}}
	err := launchError(spec, fmt.Errorf("aws: run instances: InvalidGroup.NotFound: %w", cloud.ErrInvalidSecurityGroup))
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("launchError = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.aws.security_group_ids", "sg-00000000000000bad", "run 'repolink teardown DATA-4711'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
}

func TestLaunchErrorNamesImageAndInstanceType(t *testing.T) {
	spec := cloud.InstanceSpec{Name: "rl-proxy", InstanceType: "t3.micro", ImageID: request.DefaultImageIDARM64}
	rejected := workflow.Invalid("aws: run instances: InvalidParameterValue: The architecture 'x86_64' of the specified " +
		"instance type does not match the architecture 'arm64' of the specified AMI.")
	err := launchError(spec, rejected)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("launchError = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.aws.image_id", request.DefaultImageIDARM64, "$.aws.instance_type t3.micro", "InvalidParameterValue"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
