//go:build unix

package privatefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenFileRejectsLinkToFile(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "a")
	writeFile(t, outside, 0o644)
	link := filepath.Join(t.TempDir(), "up.lock")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}

	f, err := OpenFile(link, os.O_RDWR|os.O_CREATE)
	if err == nil {
		f.Close()
		t.Fatal("OpenFile of a symbolic link returned no error")
	}
	if !errors.Is(err, ErrNotRegular) {
		t.Errorf("OpenFile error %q does not wrap ErrNotRegular", err)
	}
	if data, _ := os.ReadFile(outside); string(data) != "state" {
		t.Errorf("link target contains %q after OpenFile, want it unchanged", data)
	}
	if got := modeOf(t, outside); got != 0o644 {
		t.Errorf("link target has mode %#o after OpenFile, want 0644", got)
	}
}

func TestOpenFileRejectsDanglingLink(t *testing.T) {
	target := filepath.Join(t.TempDir(), "n")
	link := filepath.Join(t.TempDir(), "sandbox.lock")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	f, err := OpenFile(link, os.O_RDWR|os.O_CREATE)
	if err == nil {
		f.Close()
	}
	if !errors.Is(err, ErrNotRegular) {
		t.Errorf("OpenFile of a dangling link returned %v, want ErrNotRegular", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenFile created the link target: Lstat returned %v", err)
	}
}

func TestOpenFileRejectsFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mode")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}

	_, err := ReadFile(path)
	if !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile of a FIFO returned %v, want ErrNotRegular", err)
	}
}

func TestOpenFileRestrictsOwnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "start.lock")
	writeFile(t, path, 0o644)

	f, err := OpenFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := modeOf(t, path); got != 0o600 {
		t.Errorf("file of mode 0644 has mode %#o after OpenFile, want 0600", got)
	}
}

func TestOpenFileCreatesPrivateFile(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "up.lock")

	f, err := OpenFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := modeOf(t, path); got != 0o600 {
		t.Errorf("new file has mode %#o, want 0600", got)
	}
}

func TestCheckRegular(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "engine.db")
	writeFile(t, regular, 0o600)
	link := filepath.Join(dir, "notify.db")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}

	if err := CheckRegular(regular); err != nil {
		t.Errorf("CheckRegular of a regular file: %v", err)
	}
	if err := CheckRegular(filepath.Join(dir, "missing.db")); err != nil {
		t.Errorf("CheckRegular of a missing file: %v", err)
	}
	if err := CheckRegular(link); !errors.Is(err, ErrNotRegular) {
		t.Errorf("CheckRegular of a symbolic link returned %v, want ErrNotRegular", err)
	}
}
