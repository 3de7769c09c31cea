//go:build unix

package engine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRunnerLockRetriesShared checks that a runner gets its flock when
// runnerFileLocked has taken the shared flock for an instant to test it.
// Otherwise RunnerActive reports the live runner as killed until its next
// renewal.
func TestRunnerLockRetriesShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	probe, err := os.OpenFile(runnerLockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	if err := syscall.Flock(int(probe.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(time.Millisecond)
		syscall.Flock(int(probe.Fd()), syscall.LOCK_UN)
	}()
	f := lockRunnerFile(path)
	<-released
	if f == nil {
		t.Fatal("lockRunnerFile = nil while a shared flock was taken for an instant; want the flock")
	}
	defer f.Close()
	if locked, known := runnerFileLocked(path); !known || !locked {
		t.Errorf("runnerFileLocked = %v, %v after the runner took the flock; want true, true", locked, known)
	}
}

// TestRunnerLockTakenByOther checks that a second runner does not get the
// flock that a live runner keeps.
func TestRunnerLockTakenByOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	first := lockRunnerFile(path)
	if first == nil {
		t.Fatal("lockRunnerFile on a free file = nil")
	}
	defer first.Close()
	if second := lockRunnerFile(path); second != nil {
		second.Close()
		t.Fatal("a second lockRunnerFile took the flock that the first keeps")
	}
}
