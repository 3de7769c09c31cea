//go:build unix

package sfsim

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStartRestrictsOlderFiles gives the state file, the journal and the
// seal key mode 0644, as older versions could leave them, and checks that
// Start sets each of them to 0600.
func TestStartRestrictsOlderFiles(t *testing.T) {
	dir := t.TempDir()
	first := startSandbox(t, dir)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	names := []string{stateFile, journalFile, "seal.key"}
	for _, name := range names {
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	startSandbox(t, dir)

	for _, name := range names {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o after Start, want 0600", name, mode)
		}
	}
}
