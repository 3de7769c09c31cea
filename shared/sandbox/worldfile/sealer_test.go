package worldfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealerRoundTripAcrossLoads(t *testing.T) {
	dir := t.TempDir()
	const value = "p@ss:w0rd/%^"
	first, err := LoadSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := first.Seal(value)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, value) {
		t.Errorf("sealed form %q contains the value", sealed)
	}
	info, err := os.Stat(filepath.Join(dir, sealKeyFile))
	if err != nil {
		t.Fatalf("seal key not saved: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("seal key mode = %o, want 600", mode)
	}

	second, err := LoadSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := second.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got != value {
		t.Errorf("Open = %q, want %q", got, value)
	}
}

func TestSealerOtherKeyFails(t *testing.T) {
	first, err := LoadSealer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := first.Seal("value")
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadSealer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed); err == nil || !strings.Contains(err.Error(), "repolink sandbox reset") {
		t.Errorf("Open with another key: err = %v, want one that names repolink sandbox reset", err)
	}
}

func TestSealerEmptyStaysEmpty(t *testing.T) {
	sealer, err := LoadSealer("")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal("")
	if err != nil || sealed != "" {
		t.Errorf("Seal(\"\") = %q, %v; want \"\", nil", sealed, err)
	}
}
