package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// TestRedriveFollowShowsOwnSteps redrives an execution that failed in its
// secret step. The redrive must print the execution's own step lines and
// must not call it an execution resumed from another process. Its took
// line must count from the redrive, not from the first start.
func TestRedriveFollowShowsOwnSteps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	eng := provisionStore(t, dir)

	var secretFixed atomic.Bool
	for _, step := range registry.ProvisionSteps {
		name := step.Name
		eng.Register(name, func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
			if name == "secret" && !secretFixed.Load() {
				return nil, workflow.Errorf(workflow.ErrConflict, "secret: CORP_PYPI_SECRET belongs to request OTHER")
			}
			return json.Marshal(workflow.Result{Action: workflow.Created, ID: name + "-id"})
		})
	}
	runDone := make(chan error, 1)
	go func() { runDone <- eng.Run(ctx) }()
	defer func() {
		cancel()
		<-runDone
	}()

	if _, err := startExecution(ctx, eng, exampleRequest(t, "RD-B")); err != nil {
		t.Fatal(err)
	}
	failed, err := eng.Wait(ctx, "RD-B")
	if err != nil {
		t.Fatal(err)
	}
	if failed.Status != engine.StatusFailed {
		t.Fatalf("first run: status %s, want FAILED", failed.Status)
	}

	// The pause between the failure and the redrive must not count.
	const pause = 1500 * time.Millisecond
	time.Sleep(pause)
	secretFixed.Store(true)

	var out, errOut bytes.Buffer
	p := newProgress(&out)
	p.setFlags(false, "state")
	if err := redriveAndFollow(ctx, eng, dir, "RD-B", followSetup{mode: "test"}, p, &errOut); err != nil {
		t.Fatalf("redrive: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}

	got := out.String()
	if !strings.HasPrefix(got, "execution RD-B redrive 1 (test)\n") {
		t.Errorf("header is not 'execution RD-B redrive 1 (test)':\n%s", got)
	}
	if strings.Contains(got, "resumed too") {
		t.Errorf("output calls the redriven execution a resumed one:\n%s", got)
	}
	for _, step := range []string{"secret", "repository", "verification"} {
		if !strings.Contains(got, "  "+step+" ") || !strings.Contains(got, step+"-id") {
			t.Errorf("output has no line for step %s:\n%s", step, got)
		}
	}

	var took time.Duration
	for _, line := range strings.Split(got, "\n") {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), "took:"); ok {
			took, err = time.ParseDuration(strings.TrimSpace(value))
			if err != nil {
				t.Fatalf("took line %q: %v", line, err)
			}
		}
	}
	if took == 0 {
		t.Fatalf("summary has no took line:\n%s", got)
	}
	if took >= pause {
		t.Errorf("took %s, want less than the %s pause before the redrive", took, pause)
	}
}
