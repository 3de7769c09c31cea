package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	path := createStoreWithout(t, ",\n\tredriven_at   INTEGER NOT NULL DEFAULT 0",
		`INSERT INTO executions (name, machine, definition, input, status, started_at, redrive_count)
			VALUES ('redriven', 'm', '{}', '{}', 'FAILED', 1, 2), ('plain', 'm', '{}', '{}', 'FAILED', 1, 0)`,
		`INSERT INTO events (execution, id, type, state, ts, details) VALUES
			('redriven', 1, 'ExecutionRedriven', '', 5000, '{}'),
			('redriven', 2, 'ExecutionRedriven', '', 9000, '{}'),
			('redriven', 3, 'ExecutionFailed', '', 12000, '{}')`)

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
	nullable := "definition    TEXT,\n"
	if !strings.Contains(schema, nullable) {
		t.Fatalf("schema has no nullable definition column to make NOT NULL")
	}
	old := strings.Replace(strings.Replace(schema, column, "", 1), table, "", 1)
	old = strings.Replace(old, nullable, "definition    TEXT NOT NULL,\n", 1)
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
	if x.Status != StatusSucceeded || jsonText(t, x.Output) != `{"x":1,"a":2}` {
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
	var text sql.NullString
	err = e.db.QueryRowContext(ctx, `SELECT x.definition, length(x.definition_hash), d.text FROM executions x
		JOIN definitions d ON d.hash = x.definition_hash WHERE x.name = 'after'`).Scan(&text, new(int), new(string))
	if err != nil {
		t.Fatalf("read definition of the execution started after the migration: %v", err)
	}
	if text.Valid {
		t.Errorf("definition column of the execution started after the migration = %q, want NULL", text.String)
	}
	// A repolink built before the definitions table reads the definition
	// column into a string. It must fail there rather than read an empty
	// definition, which it would take as invalid and fail the execution.
	var oldRead string
	err = e.db.QueryRowContext(ctx, `SELECT definition FROM executions WHERE name = 'after'`).Scan(&oldRead)
	if err == nil {
		t.Errorf("an older binary reads the definition of the execution started after the migration as %q, want a scan error", oldRead)
	}
	e.Close()

	reopened := openEngine(t, path, "", map[string]TaskFunc{"echo": echoTask()}, Options{PollInterval: testPoll})
	runEngine(t, reopened)
	x, err = reopened.Wait(ctx, "after")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusSucceeded || jsonText(t, x.Output) != `{"x":3,"a":2}` {
		t.Errorf("execution started after the migration: %s with output %s, want SUCCEEDED with {\"a\":2,\"x\":3}",
			x.Status, x.Output)
	}
}

func TestOpenMigratesEmptyDefinitionTexts(t *testing.T) {
	// A store written while the definition column was NOT NULL has
	// executions with a hash and an empty text.
	path := filepath.Join(t.TempDir(), "engine.db")
	nullable := "definition    TEXT,\n"
	if !strings.Contains(schema, nullable) {
		t.Fatalf("schema has no nullable definition column to make NOT NULL")
	}
	old := strings.Replace(schema, nullable, "definition    TEXT NOT NULL,\n", 1)
	definition := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "echo", "End": true}}}`
	hash := sha256.Sum256([]byte(definition))
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []struct {
		query string
		args  []any
	}{
		{`INSERT INTO definitions (hash, text) VALUES (?, ?)`, []any{hash[:], definition}},
		{`INSERT INTO executions (name, machine, definition, definition_hash, input, status, started_at, event_count)
			VALUES ('hashed', 'm', '', ?, '{"x":1}', 'RUNNING', 1, 1)`, []any{hash[:]}},
		{`INSERT INTO executions (name, machine, definition, input, status, started_at, event_count)
			VALUES ('texted', 'm', ?, '{"x":2}', 'RUNNING', 1, 1)`, []any{definition}},
		{`INSERT INTO cursors (execution, state, input, phase, due_at) VALUES ('hashed', 'T', '{"x":1}', 'enter', 0)`, nil},
		{`INSERT INTO cursors (execution, state, input, phase, due_at) VALUES ('texted', 'T', '{"x":2}', 'enter', 0)`, nil},
	} {
		if _, err := db.Exec(stmt.query, stmt.args...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	e := openEngine(t, path, "", map[string]TaskFunc{"echo": echoTask()}, Options{PollInterval: testPoll})
	ctx := context.Background()
	var notNull int
	if err := e.db.QueryRowContext(ctx, `SELECT "notnull" FROM pragma_table_info('executions') WHERE name = 'definition'`).Scan(&notNull); err != nil {
		t.Fatal(err)
	}
	if notNull != 0 {
		t.Errorf("definition column after the migration is NOT NULL, want nullable")
	}
	for name, wantText := range map[string]bool{"hashed": false, "texted": true} {
		var text sql.NullString
		if err := e.db.QueryRowContext(ctx, `SELECT definition FROM executions WHERE name = ?`, name).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if text.Valid != wantText {
			t.Errorf("definition of execution %s after the migration: valid %v, want %v", name, text.Valid, wantText)
		}
	}
	runEngine(t, e)
	for _, name := range []string{"hashed", "texted"} {
		x, err := e.Wait(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != StatusSucceeded {
			t.Errorf("execution %s after the migration: %s (%s: %s), want SUCCEEDED", name, x.Status, x.Error, x.Cause)
		}
	}
}

func TestOpenRejectsNewerStoreFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, "", nil, Options{})
	var format int
	if err := e.db.QueryRow(`PRAGMA user_version`).Scan(&format); err != nil {
		t.Fatal(err)
	}
	if format != storeFormat {
		t.Errorf("store format after Open = %d, want %d", format, storeFormat)
	}
	if _, err := e.db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, storeFormat+1)); err != nil {
		t.Fatal(err)
	}
	e.Close()

	newer, err := Open(path, Options{})
	if err == nil {
		newer.Close()
		t.Fatal("Open accepted a store of a newer format")
	}
	if !strings.Contains(err.Error(), "use a newer repolink") {
		t.Errorf("Open error = %q, want one that says to use a newer repolink", err)
	}
}

// createStoreWithout creates a store whose schema leaves out column, the
// way an older engine made it, runs stmts in it and returns its path.
func createStoreWithout(t *testing.T, column string, stmts ...string) string {
	t.Helper()
	if !strings.Contains(schema, column) {
		t.Fatalf("schema has no column %q to leave out", column)
	}
	path := filepath.Join(t.TempDir(), "engine.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range append([]string{strings.Replace(schema, column, "", 1)}, stmts...) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestOpenReadOnlyCurrentStore checks that OpenReadOnly reads a store in
// the current format and rejects writes through it.
func TestOpenReadOnlyCurrentStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil, Options{})
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}

	r, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer r.Close()
	if _, err := r.Describe(ctx, "run"); err != nil {
		t.Errorf("Describe through the reader: %v", err)
	}
	if _, err := r.Start(ctx, "m", "other", json.RawMessage(`{}`)); err == nil {
		t.Error("Start through the reader succeeded, want the write rejected")
	}
}

// TestOpenReadOnlyLeavesOldStore checks that OpenReadOnly reads a store
// that needs a migration from a migrated copy, and leaves the file in its
// older schema.
func TestOpenReadOnlyLeavesOldStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The machines table of format 1 before it had created_at.
	old := strings.Replace(schema, "definition TEXT NOT NULL,\n\tcreated_at INTEGER NOT NULL DEFAULT 0", "definition TEXT NOT NULL", 1)
	if old == schema {
		t.Fatal("the schema has no machines.created_at column to leave out")
	}
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, storeFormat)); err != nil {
		t.Fatal(err)
	}

	r, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer r.Close()
	createdAt := `SELECT COUNT(*) FROM pragma_table_info('machines') WHERE name = 'created_at'`
	var columns int
	if err := r.db.QueryRow(createdAt).Scan(&columns); err != nil {
		t.Fatal(err)
	}
	if columns != 1 {
		t.Errorf("machines has %d created_at columns through OpenReadOnly, want 1", columns)
	}
	if err := db.QueryRow(createdAt).Scan(&columns); err != nil {
		t.Fatal(err)
	}
	if columns != 0 {
		t.Errorf("the file's machines table has %d created_at columns after OpenReadOnly, want 0", columns)
	}
}

// TestOpenReadOnlyRowHistoryStore checks that OpenReadOnly reads a store
// in format 1 as it is, history included, and leaves it in format 1, so
// that a repolink of that format can still open it.
func TestOpenReadOnlyRowHistoryStore(t *testing.T) {
	path := createRowHistoryStore(t)

	r, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	ctx := context.Background()
	history, err := r.History(ctx, "done")
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var types []string
	for _, ev := range history {
		types = append(types, ev.Type)
	}
	if got, want := strings.Join(types, " "), "ExecutionStarted ExecutionSucceeded"; got != want {
		t.Errorf("history of a format 1 store = %s, want %s", got, want)
	}
	if _, err := r.Start(ctx, "m", "other", json.RawMessage(`{}`)); err == nil {
		t.Error("Start through the reader succeeded, want the write rejected")
	}
	r.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var format, parts int
	err = db.QueryRow(`SELECT (SELECT user_version FROM pragma_user_version),
		(SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_parts')`).Scan(&format, &parts)
	if err != nil {
		t.Fatal(err)
	}
	if format != rowHistoryFormat {
		t.Errorf("store format after OpenReadOnly = %d, want %d", format, rowHistoryFormat)
	}
	if parts != 0 {
		t.Error("OpenReadOnly created the event_parts table, want the store left as it was")
	}
}

// TestOpenMigratedCopyLeavesFile checks that the in-memory copy, which
// OpenReadOnly reads when it cannot migrate the file, shows the stored
// executions in the current format, rejects writes, and leaves the file
// in its older format.
func TestOpenMigratedCopyLeavesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil, Options{})
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(`ALTER TABLE machines DROP COLUMN created_at`); err != nil {
		t.Fatal(err)
	}

	r, err := openMigratedCopy(ctx, path, Options{})
	if err != nil {
		t.Fatalf("openMigratedCopy: %v", err)
	}
	defer r.Close()
	if _, err := r.Describe(ctx, "run"); err != nil {
		t.Errorf("Describe through the copy: %v", err)
	}
	if _, err := r.Start(ctx, "m", "other", json.RawMessage(`{}`)); err == nil {
		t.Error("Start through the copy succeeded, want the write rejected")
	}

	var columns int
	err = e.db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('machines') WHERE name = 'created_at'`).Scan(&columns)
	if err != nil {
		t.Fatal(err)
	}
	if columns != 0 {
		t.Errorf("the file's machines table has %d created_at columns, want the older format left as it was", columns)
	}
}

// TestOpenReportsConversion checks that ConvertedFrom reports the
// conversion of a format 1 store by Open, and no conversion of a store in
// the current format or of a new store.
func TestOpenReportsConversion(t *testing.T) {
	path := createRowHistoryStore(t)
	e := openEngine(t, path, "", nil, Options{})
	if from, converted := e.ConvertedFrom(); !converted || from != rowHistoryFormat {
		t.Errorf("ConvertedFrom = %d, %t; want %d, true", from, converted, rowHistoryFormat)
	}
	e.Close()

	again := openEngine(t, path, "", nil, Options{})
	if _, converted := again.ConvertedFrom(); converted {
		t.Error("ConvertedFrom of a store already in the current format reports a conversion")
	}

	fresh := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), "", nil, Options{})
	if _, converted := fresh.ConvertedFrom(); converted {
		t.Error("ConvertedFrom of a new store reports a conversion")
	}
}

// TestOpenRejectsConversionWhileLeased checks that Open leaves a format 1
// store as it is, with no new table, while its runner lease has not expired, as an older
// repolink keeps it, or while a process holds the runner lock file.
func TestOpenRejectsConversionWhileLeased(t *testing.T) {
	cases := []struct {
		name string
		// expiresIn is the time until the lease row expires.
		expiresIn time.Duration
		locked    bool
	}{
		{"unexpired lease", time.Minute, false},
		{"lock file held", -time.Minute, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := createRowHistoryStore(t)
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = db.Exec(`INSERT INTO runner (id, owner, expires_at) VALUES (1, 'older', ?)`,
				time.Now().Add(c.expiresIn).UnixNano())
			if err != nil {
				t.Fatal(err)
			}
			if c.locked {
				lock := lockRunnerFile(path)
				if lock == nil {
					t.Skip("this platform has no flock")
				}
				defer lock.Close()
			}

			e, err := Open(path, Options{})
			if err == nil {
				e.Close()
				t.Fatal("Open converted a store whose runner lease is held")
			}
			if !errors.Is(err, ErrStoreInUse) {
				t.Errorf("Open error = %v, want ErrStoreInUse", err)
			}
			if !strings.Contains(err.Error(), "stop that process first") {
				t.Errorf("Open error = %q, want one that says what to stop", err)
			}
			var format int
			if err := db.QueryRow(`PRAGMA user_version`).Scan(&format); err != nil {
				t.Fatal(err)
			}
			if format != rowHistoryFormat {
				t.Errorf("store format after the rejected Open = %d, want %d", format, rowHistoryFormat)
			}
			var tables int
			if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_parts'`).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Error("the rejected Open created the event_parts table")
			}
		})
	}
}

// TestOpenConvertsAfterLeaseExpires checks that Open converts a format 1
// store whose runner lease expired and whose lock file is free.
func TestOpenConvertsAfterLeaseExpires(t *testing.T) {
	path := createRowHistoryStore(t)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`INSERT INTO runner (id, owner, expires_at) VALUES (1, 'older', ?)`, time.Now().Add(-time.Second).UnixNano())
	if err != nil {
		t.Fatal(err)
	}
	e := openEngine(t, path, "", nil, Options{})
	if _, converted := e.ConvertedFrom(); !converted {
		t.Error("Open did not convert a store whose runner lease expired")
	}
}
