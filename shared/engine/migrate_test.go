package engine

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
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
