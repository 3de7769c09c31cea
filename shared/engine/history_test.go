package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// historyCases are events with the values that an encoding could get
// wrong: empty strings, multi-byte text, JSON escapes, timestamps that go
// back, before 1970 and at the extremes, and IDs that skip.
func historyCases(execution string) []Event {
	at := func(ns int64) time.Time { return time.Unix(0, ns).UTC() }
	return []Event{
		{ID: 1, Execution: execution, Type: "ExecutionStarted", Timestamp: at(1_700_000_000_000_000_000),
			Details: json.RawMessage(`{"input":{"n":1},"stateMachine":"m"}`)},
		{ID: 2, Execution: execution, Type: "PassStateEntered", State: "Étape ✓", Timestamp: at(1_700_000_000_000_000_001),
			Details: json.RawMessage(`{"input":"a\u0000b"}`)},
		{ID: 3, Execution: execution, Type: "PassStateExited", State: "Étape ✓", Timestamp: at(1_699_999_999_000_000_000),
			Details: json.RawMessage(`{}`)},
		{ID: 4, Execution: execution, Type: "TaskScheduled", State: "T", Timestamp: at(-5),
			Details: json.RawMessage("{\"payload\":\"" + strings.Repeat("x", 300) + "\"}")},
		{ID: 7, Execution: execution, Type: "", State: "", Timestamp: at(0), Details: json.RawMessage(``)},
		{ID: 8, Execution: execution, Type: "ExecutionSucceeded", Timestamp: at(1<<63 - 1),
			Details: json.RawMessage(`{"output":[1,2,3]}`)},
	}
}

// insertExecutionRows adds executions rows with no state, so that History
// finds the executions.
func insertExecutionRows(t *testing.T, e *Engine, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := e.db.Exec(`INSERT INTO executions (name, machine, input, status, started_at)
			VALUES (?, 'm', '{}', 'SUCCEEDED', 1)`, name); err != nil {
			t.Fatal(err)
		}
	}
}

// History returns the same events from event_parts rows as from the
// events rows of older stores, for events that two batches wrote
// interleaved with another execution's.
func TestHistoryPartsMatchEventRows(t *testing.T) {
	e := testEngine(t, "", nil)
	ctx := context.Background()
	insertExecutionRows(t, e, "rows", "parts", "other")
	for _, ev := range historyCases("rows") {
		if _, err := e.db.Exec(`INSERT INTO events (execution, id, type, state, ts, details) VALUES (?, ?, ?, ?, ?, ?)`,
			ev.Execution, ev.ID, ev.Type, ev.State, ev.Timestamp.UnixNano(), string(ev.Details)); err != nil {
			t.Fatal(err)
		}
	}

	events, other := historyCases("parts"), historyCases("other")
	for _, batch := range [][2]int{{0, 3}, {3, len(events)}} {
		err := e.update(func(tx *storeTx) (func(), error) {
			for i := batch[0]; i < batch[1]; i++ {
				tx.events = append(tx.events, events[i], other[i])
			}
			return nil, nil
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
	}

	var parts int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM event_parts WHERE execution = 'parts'`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts != 2 {
		t.Errorf("two batches stored %d event_parts rows for one execution, want 2", parts)
	}
	fromRows, err := e.History(ctx, "rows")
	if err != nil {
		t.Fatalf("History of event rows: %v", err)
	}
	fromParts, err := e.History(ctx, "parts")
	if err != nil {
		t.Fatalf("History of event parts: %v", err)
	}
	for i := range fromParts {
		fromParts[i].Execution = "rows"
	}
	if diff := cmp.Diff(fromRows, fromParts); diff != "" {
		t.Errorf("history from event_parts differs from event rows (-rows +parts):\n%s", diff)
	}
	if diff := cmp.Diff(historyCases("rows"), fromRows); diff != "" {
		t.Errorf("history from event rows (-want +got):\n%s", diff)
	}
}

// A run writes its history as event_parts rows, fewer than its events,
// and nothing into the events table. event_count stays the number of
// events.
func TestExecutionStoresHistoryParts(t *testing.T) {
	e := testEngine(t, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"T1"},
		"T1":{"Type":"Task","Resource":"echo","Next":"T2"},
		"T2":{"Type":"Task","Resource":"echo","End":true}}}`, map[string]TaskFunc{"echo": echoTask()})
	runEngine(t, e)
	ctx := context.Background()
	if x := execute(t, e, "run", `{"a":1}`); x.Status != StatusSucceeded {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}

	events, err := e.History(ctx, "run")
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	for i, ev := range events {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has ID %d, want %d", i, ev.ID, i+1)
		}
	}
	var rows, parts, partEvents, eventCount int
	err = e.db.QueryRow(`SELECT (SELECT COUNT(*) FROM events),
		(SELECT COUNT(*) FROM event_parts WHERE execution = 'run'),
		(SELECT SUM(last_id - first_id + 1) FROM event_parts WHERE execution = 'run'),
		(SELECT event_count FROM executions WHERE name = 'run')`).Scan(&rows, &parts, &partEvents, &eventCount)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("%d rows in the events table, want 0", rows)
	}
	if parts == 0 || parts >= len(events) {
		t.Errorf("%d event_parts rows for %d events, want at least 1 and fewer than the events", parts, len(events))
	}
	if partEvents != len(events) {
		t.Errorf("event_parts rows span %d event IDs, want %d", partEvents, len(events))
	}
	if eventCount != len(events) {
		t.Errorf("event_count = %d, want the %d events of the history", eventCount, len(events))
	}
}

// A store that an engine before event_parts wrote keeps its history in
// the events table. Open adds event_parts, History reads the old rows,
// and a running execution continues its history in parts.
func TestHistoryOfOldStore(t *testing.T) {
	path := createRowHistoryStore(t)
	e := openEngine(t, path, "", nil, Options{PollInterval: testPoll})
	ctx := context.Background()
	done, err := e.History(ctx, "done")
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	want := []Event{
		{ID: 1, Execution: "done", Type: "ExecutionStarted", Timestamp: time.Unix(0, 1000).UTC(),
			Details: json.RawMessage(`{"input":{}}`)},
		{ID: 2, Execution: "done", Type: "ExecutionSucceeded", Timestamp: time.Unix(0, 2000).UTC(),
			Details: json.RawMessage(`{"output":{}}`)},
	}
	if diff := cmp.Diff(want, done); diff != "" {
		t.Errorf("history of an execution in an old store (-want +got):\n%s", diff)
	}

	runEngine(t, e)
	x, err := e.Wait(ctx, "running")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusSucceeded {
		t.Fatalf("execution started before event_parts: %s %s %s", x.Status, x.Error, x.Cause)
	}
	types := eventTypes(t, e, "running")
	wantTypes := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("history continued in event_parts (-want +got):\n%s", diff)
	}
	running, err := e.History(ctx, "running")
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range running {
		if ev.ID != int64(i+1) {
			t.Errorf("event %d of the continued history has ID %d, want %d", i, ev.ID, i+1)
		}
	}
	var format int
	if err := e.db.QueryRow(`PRAGMA user_version`).Scan(&format); err != nil {
		t.Fatal(err)
	}
	if format != storeFormat {
		t.Errorf("store format after Open = %d, want %d", format, storeFormat)
	}
}

// createRowHistoryStore creates a store in format 1, which keeps its
// history as rows of the events table and has no event_parts table, and
// returns its path. Execution done has succeeded with two events, and
// execution running has started in a Pass state.
func createRowHistoryStore(t *testing.T) string {
	t.Helper()
	table := createTableStatement("event_parts")
	path := filepath.Join(t.TempDir(), "engine.db")
	definition := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":2,"ResultPath":"$.a","End":true}}}`
	stmts := []string{
		strings.Replace(schema, table, "", 1),
		`PRAGMA user_version = 1`,
		`INSERT INTO machines (name, definition) VALUES ('m', '` + definition + `')`,
		`INSERT INTO executions (name, machine, definition, input, status, started_at, event_count)
			VALUES ('done', 'm', '` + definition + `', '{}', 'SUCCEEDED', 1, 2),
			('running', 'm', '` + definition + `', '{"x":1}', 'RUNNING', 1, 1)`,
		`INSERT INTO cursors (execution, state, input, phase, due_at) VALUES ('running', 'A', '{"x":1}', 'enter', 0)`,
		`INSERT INTO events (execution, id, type, state, ts, details) VALUES
			('done', 1, 'ExecutionStarted', '', 1000, '{"input":{}}'),
			('done', 2, 'ExecutionSucceeded', '', 2000, '{"output":{}}'),
			('running', 1, 'ExecutionStarted', '', 3000, '{"input":{"x":1},"stateMachine":"m"}')`,
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return path
}

// Appending to one decoded event's details leaves the next event intact,
// although both share the memory of their part.
func TestDecodePartDetailsCapped(t *testing.T) {
	events, err := decodePart(nil, "capped", appendPart(nil, historyCases("capped")), map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := string(events[1].Details)
	_ = append(events[0].Details, strings.Repeat("!", 100)...)
	if got := string(events[1].Details); got != want {
		t.Errorf("details of the next event after an append = %s, want %s", got, want)
	}
}

// History fails on a part that is cut short or has an unknown format,
// instead of returning part of the history.
func TestHistoryRejectsBadParts(t *testing.T) {
	whole := appendPart(nil, historyCases("bad"))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", []byte{}, "truncated or corrupt"},
		{"truncated", whole[:len(whole)-1], "truncated or corrupt"},
		{"unknown format", append([]byte{partFormat + 1}, whole[1:]...), fmt.Sprintf("unknown history part format %d", partFormat+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, "", nil)
			insertExecutionRows(t, e, "bad")
			if _, err := e.db.Exec(`INSERT INTO event_parts (execution, first_id, last_id, data) VALUES ('bad', 1, 8, ?)`,
				tc.data); err != nil {
				t.Fatal(err)
			}
			_, err := e.History(context.Background(), "bad")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("History error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// AppendHistoryPart returns the bytes that a run stores in event_parts, so
// that a benchmark that uses it writes what the engine writes.
func TestAppendHistoryPartMatchesStore(t *testing.T) {
	e := testEngine(t, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"echo","End":true}}}`, map[string]TaskFunc{"echo": echoTask()})
	runEngine(t, e)
	if x := execute(t, e, "run", `{"a":1}`); x.Status != StatusSucceeded {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}
	events, err := e.History(context.Background(), "run")
	if err != nil {
		t.Fatalf("History: %v", err)
	}

	rows, err := e.db.Query(`SELECT first_id, last_id, data FROM event_parts WHERE execution = 'run' ORDER BY first_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	parts := 0
	for rows.Next() {
		var first, last int64
		var stored []byte
		if err := rows.Scan(&first, &last, &stored); err != nil {
			t.Fatal(err)
		}
		if first < 1 || last > int64(len(events)) || first > last {
			t.Fatalf("part spans events %d to %d of a history of %d", first, last, len(events))
		}
		got := AppendHistoryPart(nil, events[first-1:last])
		if !bytes.Equal(got, stored) {
			t.Errorf("AppendHistoryPart of events %d to %d = %x, want the stored %x", first, last, got, stored)
		}
		parts++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if parts == 0 {
		t.Fatal("the run stored no event_parts rows")
	}
}
