package main

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// TestTeardownMovedSchema provisions a request, runs it again in another
// schema, and tears down the second run. The teardown must drop the
// repository and the secret that the first run created in the first
// schema, because a run of the request created them, and must keep no
// object.
func TestTeardownMovedSchema(t *testing.T) {
	ctx := context.Background()
	rt, first := openSandbox(t, "public.json")
	first.Repository.DefaultFor = "schema"
	provision(t, rt, first)
	checkBuilt(t, rt, first)

	moved := first
	moved.Snowflake.Schema = "OTHER"
	if err := rt.seed(ctx, moved); err != nil {
		t.Fatalf("seed the moved request: %v", err)
	}
	name, err := startExecution(ctx, rt.engine, moved)
	if err != nil {
		t.Fatalf("start the moved request: %v", err)
	}
	provisioned, err := rt.engine.Wait(ctx, name)
	if err != nil || provisioned.Status != "SUCCEEDED" {
		t.Fatalf("provision of the moved request = %s, %v (%s: %s)", provisioned.Status, err, provisioned.Error, provisioned.Cause)
	}

	teardown := runMachine(t, rt, "teardown", name+"-teardown", provisioned.Input)
	if teardown.Status != "SUCCEEDED" {
		t.Fatalf("teardown = %s (%s: %s)", teardown.Status, teardown.Error, teardown.Cause)
	}
	if actions := stepActions(t, teardown); actions["teardown_snowflake"] != workflow.Deleted {
		t.Errorf("teardown_snowflake = %q, want deleted", actions["teardown_snowflake"])
	}
	if kept := keptObjects(teardown.Output); len(kept) != 0 {
		t.Errorf("teardown kept %q, want nothing kept", kept)
	}
	checkRemoved(t, rt, first)
	checkRemoved(t, rt, moved)
}
