//go:build linux || darwin

package requesttest

import (
	"path/filepath"
	"syscall"
	"testing"
)

// NamedPipe creates a named pipe called "fifo" with mode 0600 in dir and
// returns its path.
func NamedPipe(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
