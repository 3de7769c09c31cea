package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
)

func TestHoldLeavesExecutionOpen(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	work := func(_ context.Context, input json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[string(input)]++
		return input, nil
	}
	e := testEngine(t, oneTask, map[string]TaskFunc{"work": work})
	ctx := context.Background()
	for _, name := range []string{"held", "free"} {
		if _, err := e.Start(ctx, "m", name, json.RawMessage(`"`+name+`"`)); err != nil {
			t.Fatalf("Start %s: %v", name, err)
		}
	}
	e.Hold("held")
	runEngine(t, e)

	if x, err := e.Wait(ctx, "free"); err != nil || x.Status != StatusSucceeded {
		t.Fatalf("free: status %q, error %v; want SUCCEEDED", x.Status, err)
	}
	x, err := e.Describe(ctx, "held")
	if err != nil {
		t.Fatalf("Describe held: %v", err)
	}
	if x.Status != StatusRunning {
		t.Errorf("held: status %q while held, want RUNNING", x.Status)
	}
	mu.Lock()
	heldCalls := calls[`"held"`]
	mu.Unlock()
	if heldCalls != 0 {
		t.Errorf("held: task ran %d times while held, want 0", heldCalls)
	}

	e.Release("held")
	if x, err := e.Wait(ctx, "held"); err != nil || x.Status != StatusSucceeded {
		t.Errorf("held after Release: status %q, error %v; want SUCCEEDED", x.Status, err)
	}
}
