//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestStartLockWaitsForOtherProcess holds the flock of the start lock
// through a file handle of its own, as another process does, and checks
// that lockStarts waits for it although this process's gate is free.
func TestStartLockWaitsForOtherProcess(t *testing.T) {
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, startLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := lockStarts(short, dir); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lockStarts while another process holds the flock: error = %v, want a timeout", err)
	}

	// The timed-out wait left the gate free for the next caller.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	unlock, err := lockStarts(ctx, dir)
	if err != nil {
		t.Fatalf("lockStarts after the other process released the flock: %v", err)
	}
	unlock()
}
