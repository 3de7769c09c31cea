//go:build unix

package privatefile

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("state"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestRestrictOwnFile(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o666, 0o400, 0o600} {
		path := filepath.Join(t.TempDir(), "store.db")
		writeFile(t, path, mode)

		if err := Restrict(path); err != nil {
			t.Fatalf("Restrict of a %#o file: %v", mode, err)
		}
		if got := modeOf(t, path); got != 0o600 {
			t.Errorf("file of mode %#o has mode %#o after Restrict, want 0600", mode, got)
		}
	}
}

func TestRestrictMissingFile(t *testing.T) {
	if err := Restrict(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("Restrict of a missing file: %v", err)
	}
}

func TestRestrictKeepsSymlinkTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	writeFile(t, target, 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	if err := Restrict(link); err != nil {
		t.Fatalf("Restrict: %v", err)
	}
	if got := modeOf(t, target); got != 0o644 {
		t.Errorf("link target has mode %#o after Restrict, want 0644", got)
	}
}

// TestRestrictKeepsOtherUsersFile needs root, which may give a file to
// another user.
func TestRestrictKeepsOtherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	path := filepath.Join(t.TempDir(), "store.db")
	writeFile(t, path, 0o644)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}

	if err := Restrict(path); err != nil {
		t.Fatalf("Restrict: %v", err)
	}
	if got := modeOf(t, path); got != 0o644 {
		t.Errorf("another user's file has mode %#o after Restrict, want 0644", got)
	}
}
