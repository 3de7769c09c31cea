package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// TestRedriveRefusedAfterTeardown checks that a provision execution whose
// teardown has run cannot be redriven: its failed step would resume with
// the IDs of deleted resources.
func TestRedriveRefusedAfterTeardown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	req := exampleRequest(t, "A")
	if _, err := startExecution(ctx, eng, req); err != nil {
		t.Fatal(err)
	}
	provisioned, err := eng.Stop(ctx, "A", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkNotTornDown(ctx, dir, provisioned, "A"); err != nil {
		t.Fatalf("before any teardown: %v, want no error", err)
	}

	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, teardownMachine, "A-teardown", input); err != nil {
		t.Fatal(err)
	}
	err = checkNotTornDown(ctx, dir, provisioned, "A")
	var usage *usageError
	if !errors.As(err, &usage) {
		t.Fatalf("while the teardown runs: %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "teardown A-teardown of execution A is running") {
		t.Errorf("while the teardown runs: %q does not name the running teardown", err)
	}

	if _, err := eng.Stop(ctx, "A-teardown", "", ""); err != nil {
		t.Fatal(err)
	}
	err = checkNotTornDown(ctx, dir, provisioned, "A")
	if !errors.As(err, &usage) {
		t.Fatalf("after the teardown: %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "run the request again") {
		t.Errorf("after the teardown: %q does not say what to do", err)
	}
}
