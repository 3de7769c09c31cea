package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// TestIntakeIndexOldKeyFormat writes an index file as an earlier version
// left it for a request whose database is written in double quotes: with
// the database's quotes quoted again in its claim keys and without a key
// format. The check of a second request with the same objects must build
// the index again, so that each of its claim keys names the first
// request, and find the clash.
func TestIntakeIndexOldKeyFormat(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	owner := exampleRequest(t, "KF-1")
	owner.Snowflake.Database = `"Data"`
	if _, err := eng.Start(ctx, provisionMachine, owner.ID, documentOf(t, owner)); err != nil {
		t.Fatal(err)
	}
	added, err := eng.ListAddedAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 {
		t.Fatalf("store lists %d executions, want 1", len(added))
	}
	x, err := eng.Describe(ctx, added[0].Name)
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(dir, intakeIndexFile)
	db, err := sqlitefile.Open(path, intakeIndexSchema, true)
	if err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		query string
		args  []any
	}{
		{`INSERT INTO request_runs (request_id, machine, execution) VALUES (?, ?, ?)`,
			[]any{owner.ID, provisionMachine, added[0].Name}},
		{`INSERT INTO scanned (id, seq, execution) VALUES (1, ?, ?)`, []any{added[0].Seq, added[0].Name}},
		{`INSERT INTO scanned_start (id, started_at) VALUES (1, ?)`, []any{x.StartedAt.UnixNano()}},
	}
	changed := 0
	for _, key := range claimKeys(owner) {
		old := formatOneKey(t, key)
		if old != key {
			changed++
		}
		rows = append(rows, struct {
			query string
			args  []any
		}{`INSERT INTO claims (claim, request_id) VALUES (?, ?)`, []any{old, owner.ID}})
	}
	if changed == 0 {
		t.Fatalf("no claim key of %v names the database \"Data\"", claimKeys(owner))
	}
	for _, row := range rows {
		if _, err := db.ExecContext(ctx, row.query, row.args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	other := exampleRequest(t, "KF-2")
	other.Snowflake.Database = `"Data"`
	var clash *objectClashError
	if err := checkObjectClash(ctx, eng, other, ""); !errors.As(err, &clash) || clash.other != owner.ID {
		t.Errorf("KF-2 with the objects of KF-1: error = %v, want an objectClashError with KF-1", err)
	}

	ix, release, err := acquireIntakeIndex(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, key := range claimKeys(other) {
		claimants, err := ix.claimants(ctx, []string{key})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(claimants, []string{owner.ID}) {
			t.Errorf("claimants of %s = %v, want [%s]", key, claimants, owner.ID)
		}
	}
}

// formatOneKey returns key as format 1 of the claim keys rendered it: the
// database "Data" quoted again as """Data""", and any other key unchanged.
func formatOneKey(t *testing.T, key string) string {
	t.Helper()
	var parts []string
	if err := json.Unmarshal([]byte(key), &parts); err != nil {
		t.Fatal(err)
	}
	for i, part := range parts {
		parts[i] = strings.ReplaceAll(part, `"Data".`, `"""Data""".`)
	}
	return claimKey(parts...)
}

// TestIntakeIndexCurrentKeyFormatKept checks that catchUp records the key
// format and keeps an index of that format on the next check, so that the
// index is built again once, not at every check.
func TestIntakeIndexCurrentKeyFormatKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	owner := exampleRequest(t, "KF-3")
	if _, err := eng.Start(ctx, provisionMachine, owner.ID, documentOf(t, owner)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, intakeIndexFile)
	db, err := sqlitefile.Open(path, intakeIndexSchema, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ix := &intakeIndex{db: db, path: path}
	if err := ix.catchUp(ctx, eng); err != nil {
		t.Fatalf("first catchUp: %v", err)
	}
	mark, err := ix.mark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if mark.keyFormat != intakeKeyFormat {
		t.Errorf("key format after catchUp = %d, want %d", mark.keyFormat, intakeKeyFormat)
	}

	// A rebuild would remove this row, which no execution names.
	if _, err := db.ExecContext(ctx, `INSERT INTO claims (claim, request_id) VALUES ('marker', 'KF-0')`); err != nil {
		t.Fatal(err)
	}
	if err := ix.catchUp(ctx, eng); err != nil {
		t.Fatalf("second catchUp: %v", err)
	}
	claimants, err := ix.claimants(ctx, []string{"marker"})
	if err != nil {
		t.Fatal(err)
	}
	if len(claimants) != 1 {
		t.Errorf("claimants of the marker row after the second catchUp = %v, want [KF-0], because the index is current", claimants)
	}
}
