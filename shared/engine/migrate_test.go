package engine

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenMigratesCursorIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(schema, "INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER PRIMARY KEY", 1)
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO cursors (id, execution, state, input, phase) VALUES (7, 'run', 'A', '{}', 'done')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	e, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer e.Close()
	ctx := context.Background()
	var table string
	if err := e.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'cursors'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "AUTOINCREMENT") {
		t.Errorf("cursors table after Open = %s, want AUTOINCREMENT IDs", table)
	}
	var state string
	if err := e.db.QueryRowContext(ctx, `SELECT state FROM cursors WHERE id = 7`).Scan(&state); err != nil || state != "A" {
		t.Errorf("cursor 7 after the migration: state %q, error %v, want A", state, err)
	}
	var indexes int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cursors'`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 3 {
		t.Errorf("cursors has %d indexes after the migration, want 3", indexes)
	}

	// A deleted highest ID is not handed out again.
	if _, err := e.db.ExecContext(ctx, `DELETE FROM cursors WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	c := &cursor{Execution: "run", State: "B", Input: []byte(`{}`), Phase: phaseDone}
	tx, err := e.beginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := insertCursor(ctx, tx, c); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if c.ID <= 7 {
		t.Errorf("new cursor ID = %d after deleting 7, want more than 7", c.ID)
	}
}

func TestOpenMigratesRedriveDates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	column := ",\n\tredriven_at   INTEGER NOT NULL DEFAULT 0"
	if !strings.Contains(schema, column) {
		t.Fatalf("schema has no redriven_at column to leave out")
	}
	old := strings.Replace(schema, column, "", 1)
	for _, stmt := range []string{
		old,
		`INSERT INTO executions (name, machine, definition, input, status, started_at, redrive_count)
			VALUES ('redriven', 'm', '{}', '{}', 'FAILED', 1, 2), ('plain', 'm', '{}', '{}', 'FAILED', 1, 0)`,
		`INSERT INTO events (execution, id, type, state, ts, details) VALUES
			('redriven', 1, 'ExecutionRedriven', '', 5000, '{}'),
			('redriven', 2, 'ExecutionRedriven', '', 9000, '{}'),
			('redriven', 3, 'ExecutionFailed', '', 12000, '{}')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	e, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := context.Background()
	x, err := e.Describe(ctx, "redriven")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(0, 9000).UTC(); !x.RedrivenAt.Equal(want) {
		t.Errorf("redriven execution after the migration: RedrivenAt = %v, want the last redrive %v", x.RedrivenAt, want)
	}
	x, err = e.Describe(ctx, "plain")
	if err != nil {
		t.Fatal(err)
	}
	if !x.RedrivenAt.IsZero() {
		t.Errorf("execution never redriven: RedrivenAt = %v, want zero", x.RedrivenAt)
	}

	e.Close()
	reopened, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open of a migrated store: %v", err)
	}
	reopened.Close()
}

func TestOpenMigratesDefinitionHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	column := ",\n\tdefinition_hash BLOB"
	table := "CREATE TABLE IF NOT EXISTS definitions (\n\thash BLOB PRIMARY KEY,\n\ttext TEXT NOT NULL\n);"
	if !strings.Contains(schema, column) || !strings.Contains(schema, table) {
		t.Fatalf("schema has no definition_hash column or definitions table to leave out")
	}
	old := strings.Replace(strings.Replace(schema, column, "", 1), table, "", 1)
	definition := `{"StartAt": "A", "States": {
		"A": {"Type": "Pass", "Result": 2, "ResultPath": "$.a", "Next": "T"},
		"T": {"Type": "Task", "Resource": "echo", "End": true}}}`
	for _, stmt := range []string{
		old,
		`INSERT INTO executions (name, machine, definition, input, status, started_at, event_count)
			VALUES ('before', 'm', '` + definition + `', '{"x":1}', 'RUNNING', 1, 1)`,
		`INSERT INTO cursors (execution, state, input, phase, due_at) VALUES ('before', 'A', '{"x":1}', 'enter', 0)`,
		`INSERT INTO events (execution, id, type, state, ts, details)
			VALUES ('before', 1, 'ExecutionStarted', '', 1, '{"input":{"x":1},"stateMachine":"m"}')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	// The first engine has no parsed definition, so it must read the text
	// from the old execution's row.
	e := openEngine(t, path, "", map[string]TaskFunc{"echo": echoTask()}, Options{PollInterval: testPoll})
	stop := runEngine(t, e)
	ctx := context.Background()
	x, err := e.Wait(ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusSucceeded || jsonText(t, x.Output) != `{"a":2,"x":1}` {
		t.Errorf("execution started before the migration: %s with output %s, want SUCCEEDED with {\"a\":2,\"x\":1}",
			x.Status, x.Output)
	}
	var hash []byte
	if err := e.db.QueryRowContext(ctx, `SELECT definition_hash FROM executions WHERE name = 'before'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash != nil {
		t.Errorf("definition_hash of the execution started before the migration = %x, want NULL", hash)
	}

	// An execution started after the migration keeps its definition in
	// the definitions table. A second engine that has not parsed it
	// resumes the execution from there.
	stop()
	if err := e.Define("m", []byte(definition)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(ctx, "m", "after", []byte(`{"x":3}`)); err != nil {
		t.Fatal(err)
	}
	var text string
	err = e.db.QueryRowContext(ctx, `SELECT x.definition, length(x.definition_hash), d.text FROM executions x
		JOIN definitions d ON d.hash = x.definition_hash WHERE x.name = 'after'`).Scan(&text, new(int), new(string))
	if err != nil {
		t.Fatalf("read definition of the execution started after the migration: %v", err)
	}
	if text != "" {
		t.Errorf("definition column of the execution started after the migration = %q, want empty", text)
	}
	e.Close()

	reopened := openEngine(t, path, "", map[string]TaskFunc{"echo": echoTask()}, Options{PollInterval: testPoll})
	runEngine(t, reopened)
	x, err = reopened.Wait(ctx, "after")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusSucceeded || jsonText(t, x.Output) != `{"a":2,"x":3}` {
		t.Errorf("execution started after the migration: %s with output %s, want SUCCEEDED with {\"a\":2,\"x\":3}",
			x.Status, x.Output)
	}
}
