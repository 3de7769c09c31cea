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
