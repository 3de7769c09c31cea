package engine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"
)

const startDefinition = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// Start without Run writes one executions row, one root cursor and the
// ExecutionStarted event, and no UPDATE of the new row.
func TestStartWritesEachRowOnce(t *testing.T) {
	e := testEngine(t, startDefinition, nil)
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "first", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start first: %v", err)
	}

	var before, after int64
	if err := e.db.QueryRow(`SELECT total_changes()`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(ctx, "m", "second", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start second: %v", err)
	}
	if err := e.db.QueryRow(`SELECT total_changes()`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if changes := after - before; changes != 3 {
		t.Errorf("Start changed %d rows, want 3 (execution, root cursor, ExecutionStarted event)", changes)
	}

	var eventCount int64
	if err := e.db.QueryRow(`SELECT event_count FROM executions WHERE name = 'second'`).Scan(&eventCount); err != nil {
		t.Fatal(err)
	}
	if eventCount != 1 {
		t.Errorf("event_count of a started execution = %d, want 1", eventCount)
	}
}

// Start records a definition as stored only once its row committed, and
// the row is there for the executions that refer to it.
func TestStartMarksDefinitionStored(t *testing.T) {
	e := testEngine(t, startDefinition, nil)
	var text string
	if err := e.db.QueryRow(`SELECT definition FROM machines WHERE name = 'm'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte(text))
	if e.definitionStored(hash) {
		t.Fatalf("definition marked stored before any Start")
	}

	if _, err := e.Start(context.Background(), "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !e.definitionStored(hash) {
		t.Errorf("definition not marked stored after Start committed")
	}
	var rows int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM definitions WHERE hash = ?`, hash[:]).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d definitions rows with the hash, want 1", rows)
	}
}
