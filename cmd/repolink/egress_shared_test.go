package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TestEgressTeardownKeepsSharedRules provisions two egress-ip requests for
// the same security group, ranges and port, then tears them down one after
// the other.
func TestEgressTeardownKeepsSharedRules(t *testing.T) {
	first, err := readRequest(filepath.Join("..", "..", "examples", "egress-ip.json"))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	second, err := readRequest(filepath.Join("..", "..", "examples", "egress-ip.json"))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	second.ID = "DATA-4730"
	second.Repository.Name = "partner2_pypi"

	ctx := context.Background()
	rt, err := openRuntime(ctx, runtimeOptions{
		dir: t.TempDir(), sandbox: true, hosts: requestHosts(first),
		logger: slog.New(slog.DiscardHandler), poll: 20 * time.Millisecond, instant: true,
	})
	if err != nil {
		t.Fatalf("open runtime: %v", err)
	}
	t.Cleanup(rt.Close)
	startEngine(t, rt)

	provisioned := map[string][]byte{}
	for _, req := range []request.Request{first, second} {
		if err := rt.seed(ctx, req); err != nil {
			t.Fatalf("seed %s: %v", req.ID, err)
		}
		name, err := startExecution(ctx, rt.engine, req)
		if err != nil {
			t.Fatalf("start provision of %s: %v", req.ID, err)
		}
		exec, err := rt.engine.Wait(ctx, name)
		if err != nil || exec.Status != "SUCCEEDED" {
			t.Fatalf("provision of %s = %s, %v (%s)", req.ID, exec.Status, err, exec.Cause)
		}
		provisioned[req.ID] = exec.Input
		want := workflow.Created
		if req.ID == second.ID {
			want = workflow.Adopted
		}
		if action := stepActions(t, exec)["egress_ranges"]; action != want {
			t.Errorf("egress_ranges of %s = %q, want %q", req.ID, action, want)
		}
	}

	firewall, err := rt.adapters.Firewall(ctx, "aws")
	if err != nil {
		t.Fatalf("firewall: %v", err)
	}
	target := func(req request.Request) cloud.FirewallTarget {
		return cloud.FirewallTarget{RequestID: req.ID, Port: req.Egress.Port, AWSRegion: req.Egress.Region, SecurityGroupID: req.Egress.SecurityGroupID}
	}
	ranges := []string{"192.0.2.0/24", "198.51.100.0/25"}

	teardown := runMachine(t, rt, "teardown", first.ID+"-teardown", provisioned[first.ID])
	if teardown.Status != "SUCCEEDED" {
		t.Fatalf("teardown of %s = %s (%s: %s)", first.ID, teardown.Status, teardown.Error, teardown.Cause)
	}
	if action := stepActions(t, teardown)["teardown_egress"]; action != workflow.Kept {
		t.Errorf("teardown_egress of %s = %q, want kept because %s still relies on the rules", first.ID, action, second.ID)
	}
	var summary bytes.Buffer
	(&progress{out: &summary}).summary(teardown)
	wantKept := "kept:             teardown_egress " + first.Egress.SecurityGroupID + ": rules for " + strings.Join(ranges, ", ") +
		" kept for " + second.ID + ", which still relies on them"
	if !strings.Contains(summary.String(), wantKept) {
		t.Errorf("teardown summary %q does not contain %q", summary.String(), wantKept)
	}
	got, err := firewall.IngressRanges(ctx, target(second))
	if err != nil {
		t.Fatalf("IngressRanges of %s: %v", second.ID, err)
	}
	if !slices.Equal(got, ranges) {
		t.Errorf("ranges of %s after the teardown of %s = %v, want %v", second.ID, first.ID, got, ranges)
	}

	teardown = runMachine(t, rt, "teardown", second.ID+"-teardown", provisioned[second.ID])
	if teardown.Status != "SUCCEEDED" {
		t.Fatalf("teardown of %s = %s (%s: %s)", second.ID, teardown.Status, teardown.Error, teardown.Cause)
	}
	if action := stepActions(t, teardown)["teardown_egress"]; action != workflow.Deleted {
		t.Errorf("teardown_egress of %s = %q, want deleted", second.ID, action)
	}
	world := rt.sandbox.AWS.Snapshot()
	if rules := world.SecurityGroups[first.Egress.SecurityGroupID].Rules; len(rules) != 0 {
		t.Errorf("rules after both teardowns = %+v, want none", rules)
	}
}
