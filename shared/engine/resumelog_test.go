package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

const holdMachine = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":3600,"End":true}}}`

// startHolds starts the named executions of holdMachine on a store at
// path in an engine that closes before startHolds returns, as a process
// that died would leave them.
func startHolds(t *testing.T, path string, names ...string) {
	t.Helper()
	e, err := Open(path, Options{PollInterval: testPoll})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer e.Close()
	if err := e.Define("m", []byte(holdMachine)); err != nil {
		t.Fatalf("Define: %v", err)
	}
	for _, name := range names {
		if _, err := e.Start(context.Background(), "m", name, json.RawMessage(`{}`)); err != nil {
			t.Fatalf("Start %s: %v", name, err)
		}
	}
}

// openLogged opens the store at path with holdMachine and a logger that
// writes JSON records to logs.
func openLogged(t *testing.T, path string, logs *logBuffer) *Engine {
	t.Helper()
	return openEngine(t, path, holdMachine, nil, Options{PollInterval: testPoll,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
}

func TestLeaseTakenLogsOpenExecutions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	startHolds(t, path, "first", "second")
	var logs logBuffer
	e := openLogged(t, path, &logs)
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "own", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start own: %v", err)
	}

	if held, err := e.newLease().hold(ctx, time.Now()); err != nil || !held {
		t.Fatalf("hold = %v, %v; want it taken", held, err)
	}
	resumed := logs.records(t, "resuming execution")
	if len(resumed) != 2 {
		t.Fatalf("%d resuming records, want 2 for the earlier process's executions: %v", len(resumed), resumed)
	}
	for i, want := range []string{"first", "second"} {
		if got := resumed[i]["execution"]; got != want {
			t.Errorf("record %d execution = %v, want %s", i, got, want)
		}
		if got := resumed[i]["state"]; got != "Hold" {
			t.Errorf("record %d state = %v, want Hold", i, got)
		}
	}
}

func TestLeaseTakenCountsOpenBeyondLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	var names []string
	for i := range maxResumeLogs + 3 {
		names = append(names, fmt.Sprintf("x-%03d", i))
	}
	startHolds(t, path, names...)
	var logs logBuffer
	e := openLogged(t, path, &logs)
	ctx := context.Background()

	if held, err := e.newLease().hold(ctx, time.Now()); err != nil || !held {
		t.Fatalf("hold = %v, %v; want it taken", held, err)
	}
	if resumed := logs.records(t, "resuming execution"); len(resumed) != maxResumeLogs {
		t.Errorf("%d resuming records, want %d", len(resumed), maxResumeLogs)
	}
	if more := logs.records(t, "resuming 3 more executions"); len(more) != 1 {
		t.Errorf("%d records of the 3 more, want 1", len(more))
	}
}
