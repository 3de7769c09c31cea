//go:build unix

package sqlitefile

import (
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

func TestOpenKeepsExistingFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path, `CREATE TABLE IF NOT EXISTS t (v TEXT)`, false)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o640 {
		t.Errorf("existing store has mode %#o after Open, want 0640", mode)
	}
}
