//go:build unix

package worldfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadRestrictsOlderFiles gives a saved world and its seal key mode
// 0644, as older versions could leave them, and checks that Load and
// LoadSealer set them to 0600.
func TestLoadRestrictsOlderFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSealer(dir); err != nil {
		t.Fatal(err)
	}
	world := filepath.Join(dir, "aws.json")
	if err := Save(world, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, sealKeyFile)
	for _, path := range []string{world, key} {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var loaded map[string]string
	if err := Load(world, &loaded); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, err := LoadSealer(dir); err != nil {
		t.Fatalf("LoadSealer: %v", err)
	}

	for _, path := range []string{world, key} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o after loading, want 0600", filepath.Base(path), mode)
		}
	}
}
