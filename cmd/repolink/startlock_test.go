//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestStartLockWaitsForOtherProcess holds the flock of a request's start
// lock through a file handle of its own, as another process does, and
// checks that lockStarts waits for it although this process's gate is free.
func TestStartLockWaitsForOtherProcess(t *testing.T) {
	dir := t.TempDir()
	f, err := openStartLock(startLockPath(dir, "R-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := lockStarts(short, dir, "R-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lockStarts while another process holds the flock: error = %v, want a timeout", err)
	}

	// The timed-out wait left the gate free for the next caller.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	unlock, err := lockStarts(ctx, dir, "R-1")
	if err != nil {
		t.Fatalf("lockStarts after the other process released the flock: %v", err)
	}
	unlock()
}

// The environment variables startLockHelperDir and startLockHelperRequest
// make TestStartLockHelperProcess hold the start lock of that request in
// that directory.
const (
	startLockHelperDir     = "REPOLINK_TEST_START_LOCK_DIR"
	startLockHelperRequest = "REPOLINK_TEST_START_LOCK_REQUEST"
)

// TestStartLockHelperProcess is not a test on its own. Run by
// TestStartLockAcrossProcesses in a child process, it takes the start lock
// of the request in the directory that the environment names, writes
// "locked" to stdout, and holds the lock until stdin closes.
func TestStartLockHelperProcess(t *testing.T) {
	dir := os.Getenv(startLockHelperDir)
	if dir == "" {
		t.Skip("runs only as the child process of TestStartLockAcrossProcesses")
	}
	unlock, err := lockStarts(context.Background(), dir, os.Getenv(startLockHelperRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// TestStartLockAcrossProcesses has a child process hold the start lock of
// request R-1 and checks that this process cannot take R-1's lock until the
// child exits, while it takes the lock of request R-2 at once.
func TestStartLockAcrossProcesses(t *testing.T) {
	requireOtherStripes(t, "R-1", "R-2")
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartLockHelperProcess$")
	cmd.Env = append(os.Environ(), startLockHelperDir+"="+dir, startLockHelperRequest+"=R-1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child process output = %q, %v; want \"locked\"", line, err)
	}

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := lockStarts(short, dir, "R-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock of R-1 while the child process holds it: error = %v, want a timeout", err)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	unlock, err := lockStarts(ctx, dir, "R-2")
	if err != nil {
		t.Fatalf("lock of R-2 while the child process holds the lock of R-1: %v", err)
	}
	unlock()

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child process: %v", err)
	}
	unlock, err = lockStarts(ctx, dir, "R-1")
	if err != nil {
		t.Fatalf("lock of R-1 after the child process exited: %v", err)
	}
	unlock()
}

// TestStartLockFilesBounded takes the start locks of 200 requests in one
// state directory and checks that they leave at most startLockStripes lock
// files, because creating a file per request slowed every start.
func TestStartLockFilesBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		unlock, err := lockStarts(context.Background(), dir, fmt.Sprintf("FILES-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		unlock()
	}
	files, err := os.ReadDir(filepath.Join(dir, startLockDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > startLockStripes {
		t.Errorf("%d lock files for 200 requests, want at most %d", len(files), startLockStripes)
	}
}

// TestStartLockWaitsForOlderRepolink takes the exclusive flock on
// start.lock, as a repolink built before the per-stripe files takes it for
// every start, and checks that lockStarts waits for it. It then checks the
// other way round: while lockStarts holds a start lock, that exclusive
// flock cannot be taken.
func TestStartLockWaitsForOlderRepolink(t *testing.T) {
	dir := t.TempDir()
	older, err := openStartLock(filepath.Join(dir, legacyStartLock))
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close()
	if err := syscall.Flock(int(older.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := lockStarts(short, dir, "R-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lockStarts while an older repolink holds start.lock: error = %v, want a timeout", err)
	}
	if err := syscall.Flock(int(older.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	unlock, err := lockStarts(ctx, dir, "R-1")
	if err != nil {
		t.Fatalf("lockStarts after the older repolink released start.lock: %v", err)
	}
	err = syscall.Flock(int(older.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("exclusive flock on start.lock while lockStarts holds a start lock: error = %v, want EWOULDBLOCK", err)
	}
	unlock()
	if err := syscall.Flock(int(older.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("exclusive flock on start.lock after the start lock was released: %v", err)
	}
}
