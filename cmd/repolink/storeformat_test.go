package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

// TestReadCommandsKeepStoreFormat checks that list, status, history and plan
// read an engine store of an older format without converting it, so that
// the repolink that wrote it can still open it afterwards.
func TestReadCommandsKeepStoreFormat(t *testing.T) {
	stores := []struct {
		name string
		// make turns the store at path, with the stopped execution FD-1,
		// into a store of an older format.
		make func(t *testing.T, path string)
		// check returns how the store at path differs from the older
		// format, or "" when it has that format.
		check func(t *testing.T, path string) string
	}{
		{"format 1", makeRowHistoryStore, func(t *testing.T, path string) string {
			format, parts := storeFormatOf(t, path)
			switch {
			case format != 1:
				return fmt.Sprintf("store format is %d, want 1", format)
			case parts:
				return "the store has an event_parts table, which format 1 lacks"
			}
			return ""
		}},
		{"before machines.created_at", func(t *testing.T, path string) {
			dropColumn(t, path, "machines", "created_at")
		}, func(t *testing.T, path string) string {
			if columnCount(t, path, "machines", "created_at") != 0 {
				return "machines has a created_at column, which the older schema lacks"
			}
			return ""
		}},
	}
	commands := append(readCommandsOnFD1(), readCommand{
		"plan", planCommand,
		[]string{"--sandbox", filepath.Join("..", "..", "examples", "public.json")},
		"a run would be DATA-4721",
	})
	for _, s := range stores {
		for _, c := range commands {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "state")
				if err := storeWithStoppedExecution(t, dir).Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := writeModeFile(dir, modeOf(true)); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, engineStore)
				s.make(t, path)

				stdout, err := c.runOn(dir)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !strings.Contains(stdout, c.want) {
					t.Errorf("%s: output lacks %q:\n%s", c.name, c.want, stdout)
				}
				if problem := s.check(t, path); problem != "" {
					t.Errorf("after %s: %s", c.name, problem)
				}
			})
		}
	}
}

// makeRowHistoryStore turns the engine store at path, which the current
// engine wrote, into a store of format 1: the history of every execution
// moves from event_parts to one events row per event, and the event_parts
// table is dropped.
func makeRowHistoryStore(t *testing.T, path string) {
	t.Helper()
	eng, err := engine.Open(path, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	executions, err := eng.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	for _, x := range executions {
		history, err := eng.History(ctx, x.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range history {
			_, err := db.Exec(`INSERT INTO events (execution, id, type, state, ts, details) VALUES (?, ?, ?, ?, ?, ?)`,
				ev.Execution, ev.ID, ev.Type, ev.State, ev.Timestamp.UnixNano(), string(ev.Details))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	for _, stmt := range []string{`DROP TABLE event_parts`, `PRAGMA user_version = 1`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// storeFormatOf returns the store format of the SQLite file at path and
// whether it has the event_parts table.
func storeFormatOf(t *testing.T, path string) (format int, eventParts bool) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var parts int
	err = db.QueryRow(`SELECT (SELECT user_version FROM pragma_user_version),
		(SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_parts')`).Scan(&format, &parts)
	if err != nil {
		t.Fatal(err)
	}
	return format, parts > 0
}

// TestRejectedCommandsKeepStoreFormat checks that commands which change
// no execution, because their argument names none they can change, leave
// a store of format 1 as it is, so that the repolink that wrote it can
// still open it.
func TestRejectedCommandsKeepStoreFormat(t *testing.T) {
	sendTaskSuccess := func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return taskCommand(ctx, "send-task-success", args, stdout, stderr)
	}
	commands := []readCommand{
		{"redrive unknown", redriveCommand, []string{"--sandbox", "NOPE"}, "no execution named NOPE"},
		{"teardown unknown", teardownCommand, []string{"--sandbox", "NOPE"}, "no execution named NOPE"},
		{"stop closed", stopCommand, []string{"FD-1"}, "nothing to stop"},
		{"send-task-success unknown", sendTaskSuccess, []string{"--output-json", `{}`, "unknown-token"}, "token is unknown"},
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := storeWithStoppedExecution(t, dir).Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := writeModeFile(dir, modeOf(true)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, engineStore)
			makeRowHistoryStore(t, path)

			_, err := c.runOn(dir)
			if err == nil {
				t.Fatalf("%s succeeded, want an error", c.name)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s error = %q, want one containing %q", c.name, err, c.want)
			}
			format, parts := storeFormatOf(t, path)
			if format != 1 {
				t.Errorf("store format after %s = %d, want 1", c.name, format)
			}
			if parts {
				t.Errorf("%s created the event_parts table, which format 1 lacks", c.name)
			}
		})
	}
}

// TestConversionReported checks that opening a format 1 store for a write
// reports the conversion once, with both formats and the store's path.
func TestConversionReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := storeWithStoppedExecution(t, dir).Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, engineStore)
	makeRowHistoryStore(t, path)

	var report strings.Builder
	for range 2 {
		eng, err := engine.Open(path, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		reportConversion(&report, eng)
		eng.Close()
	}
	want := fmt.Sprintf("repolink: converted engine store %s from format 1 to format %d;", path, engine.StoreFormat)
	if got := strings.Count(report.String(), want); got != 1 {
		t.Errorf("report has %d lines %q, want 1:\n%s", got, want, report.String())
	}
}
