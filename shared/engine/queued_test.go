package engine

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// TestQueuedResultsUntilRun sends a success and a failure while no Run
// loop runs, and checks that both are queued, that a second send gets
// ErrResultQueued, and that the next Run applies them.
func TestQueuedResultsUntilRun(t *testing.T) {
	reg := newTokenRegistry()
	e := testEngine(t, tokenMachine, map[string]TaskFunc{"register": reg.run})
	ctx := context.Background()
	stop := runEngine(t, e)
	tokens := map[string]string{}
	for _, name := range []string{"ok", "bad"} {
		if _, err := e.Start(ctx, "m", name, json.RawMessage(`{"id":"T-1"}`)); err != nil {
			t.Fatal(err)
		}
		tokens[name] = <-reg.arrived
		awaitEvent(t, e, name, "TaskSubmitted")
	}
	stop()

	if err := e.SendTaskSuccess(ctx, tokens["ok"], json.RawMessage(`{"status":"AVAILABLE"}`)); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	if err := e.SendTaskFailure(ctx, tokens["bad"], "Rejected", "by hand"); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}

	ok, err := e.QueuedResults(ctx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	if len(ok) != 1 || !ok[0].Succeeded {
		t.Errorf("QueuedResults(ok) = %+v, want one success", ok)
	}
	bad, err := e.QueuedResults(ctx, "bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 || bad[0].Succeeded || bad[0].Error != "Rejected" {
		t.Errorf("QueuedResults(bad) = %+v, want one Rejected failure", bad)
	}
	for _, token := range tokens {
		err := e.SendTaskSuccess(ctx, token, json.RawMessage(`{}`))
		if !errors.Is(err, ErrResultQueued) || !errors.Is(err, ErrInvalidToken) {
			t.Errorf("second send: %v, want ErrResultQueued and ErrInvalidToken", err)
		}
	}

	runEngine(t, e)
	for name, want := range map[string]string{"ok": StatusSucceeded, "bad": StatusSucceeded} {
		x, err := e.Wait(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != want {
			t.Errorf("%s: status %s, want %s", name, x.Status, want)
		}
		queued, err := e.QueuedResults(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) != 0 {
			t.Errorf("QueuedResults(%s) after Run = %+v, want none", name, queued)
		}
		err = e.SendTaskSuccess(ctx, tokens[name], json.RawMessage(`{}`))
		if !errors.Is(err, ErrTaskClosed) || errors.Is(err, ErrResultQueued) {
			t.Errorf("send to %s after Run: %v, want ErrTaskClosed without ErrResultQueued", name, err)
		}
	}
}
