package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// namedFailure is a task error with an error name, as the steps return.
type namedFailure struct{ name string }

func (e namedFailure) Error() string     { return "failed in the test" }
func (e namedFailure) ErrorName() string { return e.name }

// failRunIn runs the public-route request req in eng until the step
// failStep fails it. Every step before failStep passes its input through.
func failRunIn(t *testing.T, eng *engine.Engine, req request.Request, failStep string) {
	t.Helper()
	pass := func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
	fail := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, namedFailure{name: "InvalidRequest"}
	}
	for _, step := range []string{"preflight", "secret"} {
		if step == failStep {
			eng.Register(step, fail)
			break
		}
		eng.Register(step, pass)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()

	name, err := startExecution(ctx, eng, req)
	if err != nil {
		t.Fatalf("start %s: %v", req.ID, err)
	}
	x, err := eng.Wait(ctx, name)
	if err != nil || x.Status != engine.StatusFailed {
		t.Fatalf("execution %s: status %q, error %v; want FAILED", name, x.Status, err)
	}
}

// TestChangedFromSkipsPreflightFailure checks that changedFrom names no
// objects of an earlier run that failed in preflight, which built
// nothing, and names those of an earlier run that failed in a building
// step.
func TestChangedFromSkipsPreflightFailure(t *testing.T) {
	tests := []struct {
		failStep string
		want     int
	}{
		{failStep: "preflight", want: 0},
		{failStep: "secret", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.failStep, func(t *testing.T) {
			eng := provisionStore(t, t.TempDir())
			first := exampleRequest(t, "PF")
			failRunIn(t, eng, first, tt.failStep)

			changed := first
			changed.Repository.Name = "public_pypi_two"
			if got := changedFrom(context.Background(), eng, changed); len(got) != tt.want {
				t.Errorf("changedFrom = %+v, want %d earlier executions", got, tt.want)
			}
		})
	}
}
