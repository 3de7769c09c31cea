package jsonrecords_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
)

// The schemas and inserts with which the wait and credential expiry stores
// wrote their files before they shared this package.
const (
	oldWaitSchema = `CREATE TABLE IF NOT EXISTS waits (
		token TEXT PRIMARY KEY,
		execution TEXT NOT NULL,
		body TEXT NOT NULL,
		deadline INTEGER NOT NULL
	)`
	oldWaitInsert = `INSERT INTO waits (token, execution, body, deadline) VALUES (?, ?, ?, ?) ON CONFLICT(token) DO NOTHING`

	oldExpirySchema = `CREATE TABLE IF NOT EXISTS credential_expiries (
		key TEXT PRIMARY KEY,
		body TEXT NOT NULL,
		expires_at INTEGER NOT NULL
	)`
	oldExpiryInsert = `INSERT INTO credential_expiries (key, body, expires_at) VALUES (?, ?, ?)
		 ON CONFLICT(key) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at`
)

var at = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// writeOld creates a file with schema and runs insert once per row of args.
func writeOld(t *testing.T, path, schema, insert string, args ...[]any) {
	t.Helper()
	db, err := sqlitefile.Open(path, schema, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, a := range args {
		if _, err := db.Exec(insert, a...); err != nil {
			t.Fatalf("old insert: %v", err)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// registry is the API that the wait and credential expiry stores share.
type registry[T any] interface {
	Put(ctx context.Context, record T) error
	List(ctx context.Context) ([]T, error)
	Delete(ctx context.Context, key string) error
}

func checkList[T any](t *testing.T, r registry[T], want []T, when string) {
	t.Helper()
	got, err := r.List(t.Context())
	if err != nil {
		t.Fatalf("List %s: %v", when, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List %s (-want +got):\n%s", when, diff)
	}
}

func putAndDelete[T any](t *testing.T, r registry[T], record T, key string) {
	t.Helper()
	if err := r.Put(t.Context(), record); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := r.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
}

type column struct {
	Name, Type       string
	NotNull, Primary bool
}

// tableColumns returns the columns of table in the file at path.
func tableColumns(t *testing.T, path, table string) []column {
	t.Helper()
	db, err := sqlitefile.Open(path, "SELECT 1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var columns []column
	for rows.Next() {
		var c column
		var pk int
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &pk); err != nil {
			t.Fatal(err)
		}
		c.Primary = pk > 0
		columns = append(columns, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return columns
}

// compareSchemas checks that a file that open creates has the columns of
// a file with oldSchema.
func compareSchemas(t *testing.T, table, oldSchema string, open func(path string) (interface{ Close() error }, error)) {
	t.Helper()
	dir := t.TempDir()
	oldPath := filepath.Join(dir, "old.db")
	writeOld(t, oldPath, oldSchema, "SELECT 1")
	newPath := filepath.Join(dir, "new.db")
	store, err := open(newPath)
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	want := tableColumns(t, oldPath, table)
	if len(want) == 0 {
		t.Fatalf("old file has no table %s", table)
	}
	if diff := cmp.Diff(want, tableColumns(t, newPath, table)); diff != "" {
		t.Errorf("columns of %s (-old +new):\n%s", table, diff)
	}
}

func TestWaitStoreReadsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "waits.db")
	old := []workflow.Wait{
		{Token: "tok-b", Execution: "run-b", Snowflake: request.Snowflake{Account: "acct", User: "SVC"},
			ServiceID: "svc", Host: "h", Cloud: "aws", Deadline: at.Add(time.Hour), CreatedAt: at},
		{Token: "tok-a", Execution: "run-a", Cloud: "gcp", Deadline: at, CreatedAt: at},
	}
	writeOld(t, path, oldWaitSchema, oldWaitInsert,
		[]any{"tok-b", "run-b", mustJSON(t, old[0]), old[0].Deadline.Unix()},
		[]any{"tok-a", "run-a", mustJSON(t, old[1]), old[1].Deadline.Unix()})

	store, err := waits.Open(path)
	if err != nil {
		t.Fatalf("Open old file: %v", err)
	}
	defer store.Close()
	checkList(t, store, []workflow.Wait{old[1], old[0]}, "of the old file")

	added := workflow.Wait{Token: "tok-c", Execution: "run-c", Deadline: at.Add(-time.Hour), CreatedAt: at}
	putAndDelete(t, store, added, "tok-b")
	checkList(t, store, []workflow.Wait{added, old[1]}, "after Put and Delete")

	db, err := sqlitefile.Open(path, "SELECT 1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var execution string
	if err := db.QueryRow(`SELECT execution FROM waits WHERE token = 'tok-c'`).Scan(&execution); err != nil {
		t.Fatal(err)
	}
	if execution != "run-c" {
		t.Errorf("execution column = %q, want run-c", execution)
	}
}

func TestWaitStoreSchemaUnchanged(t *testing.T) {
	compareSchemas(t, "waits", oldWaitSchema, func(path string) (interface{ Close() error }, error) {
		return waits.Open(path)
	})
}

func TestExpiryStoreReadsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.db")
	old := []workflow.CredentialExpiry{
		{Secret: "DB.S.LATE", Execution: "run-1", Request: request.Request{ID: "DATA-1", Snowflake: request.Snowflake{Account: "acct"}},
			Renewable: true, IssuedAt: at, ExpiresAt: at.Add(12 * time.Hour)},
		{Secret: "DB.S.SOON", Execution: "run-2", Request: request.Request{ID: "DATA-2", Snowflake: request.Snowflake{Account: "acct"}},
			IssuedAt: at, ExpiresAt: at.Add(time.Hour), WarnedAt: at},
	}
	writeOld(t, path, oldExpirySchema, oldExpiryInsert,
		[]any{old[0].Key(), mustJSON(t, old[0]), old[0].ExpiresAt.Unix()},
		[]any{old[1].Key(), mustJSON(t, old[1]), old[1].ExpiresAt.Unix()})

	store, err := expiries.Open(path)
	if err != nil {
		t.Fatalf("Open old file: %v", err)
	}
	defer store.Close()
	checkList(t, store, []workflow.CredentialExpiry{old[1], old[0]}, "of the old file")

	// Put replaces the record with the same key.
	renewed := old[0]
	renewed.IssuedAt = at.Add(8 * time.Hour)
	renewed.ExpiresAt = at.Add(20 * time.Hour)
	putAndDelete(t, store, renewed, old[1].Key())
	checkList(t, store, []workflow.CredentialExpiry{renewed}, "after Put and Delete")
}

func TestExpiryStoreSchemaUnchanged(t *testing.T) {
	compareSchemas(t, "credential_expiries", oldExpirySchema, func(path string) (interface{ Close() error }, error) {
		return expiries.Open(path)
	})
}
