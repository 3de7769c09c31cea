package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A task outcome is applied to the execution row that its TaskStarted
// request committed, unless another request wrote that row since. Here
// branch A records its outcome while the task of branch B runs, so the
// row that B's task started with is out of date, and B's outcome must be
// applied to the row as stored.
func TestStepRereadsExecutionChangedBySibling(t *testing.T) {
	aDone := make(chan struct{})
	var aCalls, bCalls atomic.Int32
	taskA := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		aCalls.Add(1)
		return json.RawMessage(`"a"`), nil
	}
	taskB := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		bCalls.Add(1)
		select {
		case <-aDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`"b"`), nil
	}
	var aClosed atomic.Bool
	onEvent := func(ev Event) {
		if ev.Type == "TaskSucceeded" && ev.State == "A" && aClosed.CompareAndSwap(false, true) {
			close(aDone)
		}
	}
	definition := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"a","Next":"A2"},"A2":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"b","Next":"B2"},"B2":{"Type":"Pass","End":true}}}]}}}`
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), definition,
		map[string]TaskFunc{"a": taskA, "b": taskB}, Options{PollInterval: testPoll, OnEvent: onEvent})
	runEngine(t, e)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	x, err := e.Wait(ctx, "run")
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if x.Status != StatusSucceeded {
		t.Errorf("status %s (%s: %s), want %s", x.Status, x.Error, x.Cause, StatusSucceeded)
	}
	if got := jsonText(t, x.Output); got != `["a","b"]` {
		t.Errorf("output %s, want [\"a\",\"b\"]", got)
	}
	if n := aCalls.Load(); n != 1 {
		t.Errorf("task a ran %d times, want 1", n)
	}
	if n := bCalls.Load(); n != 1 {
		t.Errorf("task b ran %d times, want 1", n)
	}
	events, err := e.History(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for i, ev := range events {
		if ev.ID != int64(i+1) {
			t.Errorf("event %d has ID %d, want %d", i, ev.ID, i+1)
		}
		if ev.Type == "TaskSucceeded" {
			succeeded++
		}
	}
	if succeeded != 2 {
		t.Errorf("history has %d TaskSucceeded events, want 2", succeeded)
	}
}
