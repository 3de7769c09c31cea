//go:build unix

package pyindex

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadOrCreateCARestrictsOlderFiles gives a stored CA mode 0644, as
// older versions could leave it, and checks that loading it sets its key
// and certificate to 0600.
func TestLoadOrCreateCARestrictsOlderFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateCA(dir); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(dir, caKeyFile), filepath.Join(dir, caCertFile)}
	for _, path := range paths {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := LoadOrCreateCA(dir); err != nil {
		t.Fatalf("LoadOrCreateCA: %v", err)
	}

	for _, path := range paths {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o after loading, want 0600", filepath.Base(path), mode)
		}
	}
}
