//go:build unix

package privatefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

func TestNotRegularMessageOrder(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "engine.db")
	if err := os.Symlink(filepath.Join(t.TempDir(), "outside"), link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "mode")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	subdir := filepath.Join(dir, "up.lock")
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		err   error
		cause string
	}{
		{"CheckRegular of a link", CheckRegular(link), link + " is a symbolic link, not a regular file: "},
		{"OpenFile of a link", openError(link), link + " is a symbolic link, not a regular file: "},
		{"CheckRegular of a FIFO", CheckRegular(fifo), fifo + " is a named pipe, not a regular file: "},
		{"OpenFile of a directory", openError(subdir), subdir + " is a directory, not a regular file: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
			msg := tt.err.Error()
			if !strings.HasPrefix(msg, tt.cause) {
				t.Errorf("message %q does not start with the cause %q", msg, tt.cause)
			}
			if advice := "or use another --state-dir"; !strings.HasSuffix(msg, advice) {
				t.Errorf("message %q does not end with the advice %q", msg, advice)
			}
		})
	}
}

// openError returns the error of OpenFile for path.
func openError(path string) error {
	f, err := OpenFile(path, os.O_RDONLY)
	if err == nil {
		f.Close()
	}
	return err
}
