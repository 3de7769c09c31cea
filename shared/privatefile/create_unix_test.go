//go:build unix

package privatefile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCreateExclusiveKeepsFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	created, err := CreateExclusive(path, []byte("first"))
	if err != nil || !created {
		t.Fatalf("first CreateExclusive = %v, %v, want true, nil", created, err)
	}
	created, err = CreateExclusive(path, []byte("second"))
	if err != nil || created {
		t.Fatalf("second CreateExclusive = %v, %v, want false, nil", created, err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "first" {
		t.Errorf("file contains %q, want %q", data, "first")
	}
	if mode := modeOf(t, path); mode != 0o600 {
		t.Errorf("file mode = %v, want 0600", mode)
	}
	if leftover, _ := filepath.Glob(path + ".*.tmp"); len(leftover) > 0 {
		t.Errorf("temporary files left: %v", leftover)
	}
}
