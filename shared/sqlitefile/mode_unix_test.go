//go:build unix

package sqlitefile

import (
	"database/sql"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenCreatesPrivateFiles opens a new store under umask 0, which would
// leave SQLite's default mode 0644 as it is, and checks the mode of the
// database and of its -wal and -shm files.
func TestOpenCreatesPrivateFiles(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "store.db")

	db, err := Open(path, `CREATE TABLE IF NOT EXISTS t (v TEXT)`, true)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO t VALUES ('x')`); err != nil {
		t.Fatalf("insert: %v", err)
	}

	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(name), err)
			continue
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", filepath.Base(name), mode)
		}
	}
}

// TestOpenRestrictsExistingFiles leaves a store open as an older repolink
// left it, with its database, -wal and -shm files at mode 0644, and checks
// that Open sets each of them to 0600.
func TestOpenRestrictsExistingFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	older, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close()
	if _, err := older.Exec(`CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	names := []string{path, path + "-wal", path + "-shm"}
	for _, name := range names {
		if err := os.Chmod(name, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	db, err := Open(path, `CREATE TABLE IF NOT EXISTS t (v TEXT)`, false)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	for _, name := range names {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(name), err)
			continue
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o after Open, want 0600", filepath.Base(name), mode)
		}
	}
	var v string
	if err := db.QueryRow(`SELECT v FROM t`).Scan(&v); err != nil {
		t.Errorf("read the older store: %v", err)
	}
}
