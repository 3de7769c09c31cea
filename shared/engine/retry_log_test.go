package engine

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

// TestRetryLogDelayReadable checks that the retrying state record gives
// its delay as a duration string, not as a count of nanoseconds.
func TestRetryLogDelayReadable(t *testing.T) {
	task := &scriptedTask{errs: []error{&namedError{"NotReady", "endpoint pending"}}}
	var logs logBuffer
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"),
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"step",
		"Retry":[{"ErrorEquals":["NotReady"],"IntervalSeconds":2,"MaxAttempts":1}],"End":true}}}`,
		map[string]TaskFunc{"step": task.run},
		Options{PollInterval: testPoll, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := e.db.QueryRow(`SELECT id FROM cursors WHERE execution = 'run' AND parent = 0`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if _, err := e.chain(ctx, root, nil); err != nil {
		t.Fatal(err)
	}

	retries := logs.records(t, "retrying state")
	if len(retries) != 1 {
		t.Fatalf("%d retrying state records, want 1", len(retries))
	}
	if got := retries[0]["delay"]; got != "2s" {
		t.Errorf("delay = %v (%T), want \"2s\"", got, got)
	}
}
