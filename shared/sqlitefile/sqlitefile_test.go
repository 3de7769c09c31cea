package sqlitefile

import (
	"path/filepath"
	"testing"
)

func TestOpenPathWithQueryCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state?x#y", "store.db")
	if _, err := Open(path, `CREATE TABLE t (v TEXT)`, false); err == nil {
		t.Fatal("Open created a file in a directory that does not exist")
	}
	path = filepath.Join(t.TempDir(), "a?b#c.db")
	db, err := Open(path, `CREATE TABLE IF NOT EXISTS t (v TEXT)`, true)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if _, err := db.Exec(`INSERT INTO t VALUES ('x')`); err != nil {
		t.Fatalf("insert: %v", err)
	}
}

func TestOpenBadSchema(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "s.db"), `CREATE TABLE (`, false); err == nil {
		t.Error("Open accepted an invalid schema")
	}
}
