package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRunLogsChangesOfOtherProcess checks that the Run loop logs the
// start, stop and redrive that another engine on the same store makes,
// once each, the stop and redrive with the other engine's process, and
// that it does not log its own changes a second time.
func TestRunLogsChangesOfOtherProcess(t *testing.T) {
	definition := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	path := filepath.Join(t.TempDir(), "engine.db")
	var logs logBuffer
	runner := openEngine(t, path, definition, nil, Options{PollInterval: processPoll,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Process: "repolink up"})
	other := openEngine(t, path, "", nil, Options{PollInterval: processPoll, Process: "repolink cli"})
	ctx := context.Background()

	// The runner's first read of the store, which finds the last change,
	// comes before it enters the Wait state of "own".
	if _, err := runner.Start(ctx, "m", "own", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	runEngine(t, runner)
	awaitEvent(t, runner, "own", "WaitStateEntered")
	if _, err := runner.Stop(ctx, "own", "Own.Stop", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Redrive(ctx, "own"); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Start(ctx, "m", "own-later", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}

	if _, err := other.Start(ctx, "m", "ext", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Stop(ctx, "ext", "Operator.Stop", "stopped by hand"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Redrive(ctx, "ext"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(logs.records(t, "execution redriven")) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no execution redriven record after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	byExecution := func(msg, name string) []map[string]any {
		var out []map[string]any
		for _, r := range logs.records(t, msg) {
			if r["execution"] == name {
				out = append(out, r)
			}
		}
		return out
	}
	for _, msg := range []string{"execution started", "execution stopped", "execution redriven"} {
		if got := byExecution(msg, "own"); len(got) != 1 {
			t.Errorf("%d %q records of own, want 1: %v", len(got), msg, got)
		}
	}
	if got := byExecution("execution started", "own-later"); len(got) != 1 {
		t.Errorf("%d execution started records of own-later, want 1: %v", len(got), got)
	}
	// The store does not record which process added an execution.
	if got := byExecution("execution started", "ext"); len(got) != 1 {
		t.Errorf("%d execution started records of ext, want 1: %v", len(got), got)
	} else if got[0]["process"] != "another process" {
		t.Errorf("execution started of ext: process = %v, want another process", got[0]["process"])
	}
	for _, msg := range []string{"execution stopped", "execution redriven"} {
		got := byExecution(msg, "ext")
		if len(got) != 1 {
			t.Errorf("%d %q records of ext, want 1: %v", len(got), msg, got)
			continue
		}
		if got[0]["process"] != "repolink cli" {
			t.Errorf("%q of ext: process = %v, want repolink cli", msg, got[0]["process"])
		}
		if got[0]["pid"] != float64(os.Getpid()) {
			t.Errorf("%q of ext: pid = %v, want %d", msg, got[0]["pid"], os.Getpid())
		}
	}
	if stops := byExecution("execution stopped", "ext"); len(stops) == 1 {
		if stops[0]["status"] != StatusAborted || stops[0]["error"] != "Operator.Stop" || stops[0]["machine"] != "m" {
			t.Errorf("execution stopped of ext = %v, want status ABORTED, error Operator.Stop, machine m", stops[0])
		}
	}
	if redrives := byExecution("execution redriven", "ext"); len(redrives) == 1 && redrives[0]["redrive_count"] != float64(1) {
		t.Errorf("execution redriven of ext: redrive_count = %v, want 1", redrives[0]["redrive_count"])
	}
}

// TestRunLogsNoChangesBeforeItStarted checks that a Run loop does not log
// the changes that other engines made before it started.
func TestRunLogsNoChangesBeforeItStarted(t *testing.T) {
	definition := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	path := filepath.Join(t.TempDir(), "engine.db")
	other := openEngine(t, path, definition, nil, Options{PollInterval: processPoll, Process: "repolink cli"})
	ctx := context.Background()
	if _, err := other.Start(ctx, "m", "early", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}

	var logs logBuffer
	runner := openEngine(t, path, "", nil, Options{PollInterval: processPoll,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	runEngine(t, runner)
	awaitEvent(t, runner, "early", "WaitStateEntered")
	if _, err := other.Stop(ctx, "early", "", ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(logs.records(t, "execution stopped")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no execution stopped record after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if started := logs.records(t, "execution started"); len(started) != 0 {
		t.Errorf("records of starts before Run: %v, want none", started)
	}
}

// TestPruneChangesKeepsRecent checks that pruneChanges deletes only the
// changes more than keptChanges behind the last one read.
func TestPruneChangesKeepsRecent(t *testing.T) {
	e := testEngine(t, "", nil)
	ctx := context.Background()
	_, err := e.db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO execution_changes (execution, machine, change, writer, at)
		SELECT 'x', 'm', 'started', 'w', 0 FROM n`, keptChanges+pruneChangesEvery)
	if err != nil {
		t.Fatal(err)
	}
	w := changeWatch{seq: keptChanges + pruneChangesEvery, ready: true}
	if err := e.pruneChanges(ctx, &w); err != nil {
		t.Fatal(err)
	}
	var count, first int64
	if err := e.db.QueryRow(`SELECT COUNT(*), MIN(seq) FROM execution_changes`).Scan(&count, &first); err != nil {
		t.Fatal(err)
	}
	if count != keptChanges {
		t.Errorf("%d changes kept, want %d", count, keptChanges)
	}
	if first != pruneChangesEvery+1 {
		t.Errorf("first kept change has seq %d, want %d", first, pruneChangesEvery+1)
	}
}

// TestReadableSchemaWithoutChanges checks that a store from before the
// execution_changes table is read as it is, not from a migrated copy.
func TestReadableSchemaWithoutChanges(t *testing.T) {
	e := testEngine(t, "", nil)
	ctx := context.Background()
	if _, err := e.db.Exec(`DROP TABLE execution_changes`); err != nil {
		t.Fatal(err)
	}
	readable, _, err := readableSchema(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	if !readable {
		t.Error("store without execution_changes is not readable as it is, want readable")
	}
}
