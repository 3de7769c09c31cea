package engine

import (
	"context"
	"testing"
	"time"
)

// A chain can be launched for a cursor that is not due, when Start hands
// an execution to the Run loop after a read of the store already ran it.
// That chain must leave the cursor alone until it is due.
func TestChainLeavesCursorBeforeDue(t *testing.T) {
	task := &scriptedTask{errs: []error{&namedError{"NotReady", "endpoint pending"}}}
	e := testEngine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"step",
		"Retry":[{"ErrorEquals":["NotReady"],"IntervalSeconds":60,"MaxAttempts":1}],"End":true}}}`,
		map[string]TaskFunc{"step": task.run})
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := e.db.QueryRow(`SELECT id FROM cursors WHERE execution = 'run' AND parent = 0`).Scan(&root); err != nil {
		t.Fatal(err)
	}

	first, err := e.chain(ctx, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if until := time.Until(first.due); until < 50*time.Second {
		t.Fatalf("cursor after the failed attempt is due in %v, want about 60s", until)
	}
	second, err := e.chain(ctx, root, nil)
	if err != nil {
		t.Fatal(err)
	}

	if task.calls != 1 {
		t.Errorf("task ran %d times, want 1 before the retry is due", task.calls)
	}
	scheduled := 0
	for _, typ := range eventTypes(t, e, "run") {
		if typ == "TaskScheduled" {
			scheduled++
		}
	}
	if scheduled != 1 {
		t.Errorf("history has %d TaskScheduled events, want 1 before the retry is due", scheduled)
	}
	if !second.due.Equal(first.due) {
		t.Errorf("second chain returned due %v, want the retry time %v", second.due, first.due)
	}
}
