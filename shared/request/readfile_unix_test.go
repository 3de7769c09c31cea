//go:build linux || darwin

package request

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readWithin calls ReadFileLimited and fails the test when it does not
// return within 5 seconds, as a read of a named pipe without a writer
// would not.
func readWithin(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := ReadFileLimited(path, 1024)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("ReadFileLimited(%s) did not return within 5 seconds", path)
		return nil
	}
}

func TestReadFileLimitedRejectsNamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	err := readWithin(t, path)
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("ReadFileLimited error = %v, want *NotRegularError", err)
	}
	if !strings.Contains(err.Error(), "a named pipe") {
		t.Errorf("error %q does not say the path is a named pipe", err)
	}
}

func TestReadFileLimitedRejectsDevice(t *testing.T) {
	err := readWithin(t, "/dev/zero")
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("ReadFileLimited error = %v, want *NotRegularError", err)
	}
	if !strings.Contains(err.Error(), "a character device") {
		t.Errorf("error %q does not say the path is a character device", err)
	}
}

// A named pipe that replaces the file between the check of the path and
// the open must fail too, and without blocking.
func TestOpenCheckedRejectsNamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, _, err := openChecked(path)
		if f != nil {
			f.Close()
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("openChecked did not return within 5 seconds")
	}
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("openChecked error = %v, want *NotRegularError", err)
	}
}
