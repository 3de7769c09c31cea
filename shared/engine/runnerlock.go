//go:build unix

package engine

import (
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/repolink/repolink/shared/privatefile"
)

// runnerLockPath returns the file beside the store at path that the
// holder of the runner lease keeps an exclusive flock on. The kernel
// drops the flock when the holder exits, however it exits, so a free
// flock marks a holder that was killed before its lease expired.
func runnerLockPath(path string) string { return path + "-runner.lock" }

// lockRetries is how many more times lockRunnerFile tries a flock that
// another open file has, lockRetryDelay apart. runnerFileLocked takes a
// shared flock for an instant to test the file. Without the retries, a
// runner that tried at that instant would run without the flock until its
// next renewal, and RunnerActive would report no runner.
const (
	lockRetries    = 5
	lockRetryDelay = 2 * time.Millisecond
)

// lockRunnerFile takes the flock of the runner lock file of the store at
// path. It returns nil when another open file still has the flock after
// lockRetries tries, or the file cannot be opened, such as in a read-only
// directory.
func lockRunnerFile(path string) *os.File {
	f, err := privatefile.OpenFile(runnerLockPath(path), os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil
	}
	for try := 0; ; try++ {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || try == lockRetries {
			f.Close()
			return nil
		}
		time.Sleep(lockRetryDelay)
	}
}

// runnerFileLocked reports whether a process holds the flock of the
// runner lock file of the store at path. known is false when the flock
// cannot be read, such as when no runner has created the file yet.
func runnerFileLocked(path string) (locked, known bool) {
	f, err := privatefile.OpenFile(runnerLockPath(path), os.O_RDONLY)
	if err != nil {
		return false, false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	switch {
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false, true
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, true
	}
	return false, false
}
