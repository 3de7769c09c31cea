package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/workflow"
)

// TestEgressRefreshAfterTeardownOpensNothing provisions the egress-ip
// example, tears it down, and then runs the egress refresh, which must
// leave the security group without the request's rules until the request
// runs again.
func TestEgressRefreshAfterTeardownOpensNothing(t *testing.T) {
	req, err := readRequest(filepath.Join("..", "..", "examples", "egress-ip.json"))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	ctx := context.Background()
	rt, err := openRuntime(ctx, runtimeOptions{
		dir: t.TempDir(), sandbox: true, hosts: requestHosts(req),
		logger: slog.New(slog.DiscardHandler), poll: 20 * time.Millisecond, instant: true,
	})
	if err != nil {
		t.Fatalf("open runtime: %v", err)
	}
	t.Cleanup(rt.Close)
	startEngine(t, rt)
	if err := rt.seed(ctx, req); err != nil {
		t.Fatalf("seed: %v", err)
	}
	provisionInput, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	refreshInput, err := json.Marshal(map[string]any{"request": req})
	if err != nil {
		t.Fatal(err)
	}
	rules := func() int {
		return len(rt.sandbox.AWS.Snapshot().SecurityGroups[req.Egress.SecurityGroupID].Rules)
	}

	provision := runMachine(t, rt, "provision", req.ID, provisionInput)
	if provision.Status != "SUCCEEDED" {
		t.Fatalf("provision = %s (%s: %s)", provision.Status, provision.Error, provision.Cause)
	}
	teardown := runMachine(t, rt, "teardown", req.ID+"-teardown", provision.Input)
	if teardown.Status != "SUCCEEDED" {
		t.Fatalf("teardown = %s (%s: %s)", teardown.Status, teardown.Error, teardown.Cause)
	}

	refresh := runMachine(t, rt, egressRefreshMachine, req.ID+"-refresh-2", refreshInput)
	if refresh.Status != "SUCCEEDED" {
		t.Fatalf("refresh after the teardown = %s (%s: %s)", refresh.Status, refresh.Error, refresh.Cause)
	}
	if action := stepActions(t, refresh)["egress_ranges"]; action != workflow.Skipped {
		t.Errorf("egress_ranges of the refresh after the teardown = %q, want skipped", action)
	}
	if n := rules(); n != 0 {
		t.Errorf("security group has %d rules after the refresh of a torn-down request, want 0", n)
	}

	again := runMachine(t, rt, "provision", req.ID+"-r2", provisionInput)
	if again.Status != "SUCCEEDED" {
		t.Fatalf("provision after the teardown = %s (%s: %s)", again.Status, again.Error, again.Cause)
	}
	refresh = runMachine(t, rt, egressRefreshMachine, req.ID+"-refresh-3", refreshInput)
	if refresh.Status != "SUCCEEDED" {
		t.Fatalf("refresh after a new provision run = %s (%s: %s)", refresh.Status, refresh.Error, refresh.Cause)
	}
	// The new provision run created the rules, so the refresh finds them
	// in step and adopts them.
	if action := stepActions(t, refresh)["egress_ranges"]; action != workflow.Adopted {
		t.Errorf("egress_ranges of the refresh after a new provision run = %q, want adopted", action)
	}
	if rules() == 0 {
		t.Errorf("security group has no rules after the request ran again")
	}
}
