//go:build !unix

package main

import (
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
)

// errNoFlock is the error of every lock that repolink takes on a file of
// the state directory, on a system without flock. Those locks keep two
// processes from serving, running the sandbox of, or starting executions
// in one state directory at once, so the commands that need them stop
// instead of running unguarded.
var errNoFlock = fmt.Errorf("repolink locks the files of a state directory with flock, "+
	"which is not available on %s; run this command on Linux or macOS", goruntime.GOOS)

var errServing = errors.New("another repolink up serves this state directory")

// lockStateDir returns errNoFlock, so repolink up does not start.
func lockStateDir(dir string, _ bool) (*serviceLock, error) {
	return nil, fmt.Errorf("take service lock of %s: %w", dir, errNoFlock)
}

// release closes the lock file. No function of this system returns a
// serviceLock, so only a test can hold one.
func (l *serviceLock) release() { l.file.Close() }

// serviceStatus reports that no repolink up serves dir, which is true on
// this system because lockStateDir keeps repolink up from starting.
func serviceStatus(string) (serving, sandbox bool) { return false, false }

// checkSandboxFree returns nil, because no repolink up runs here.
func checkSandboxFree(string) error { return nil }

// lockSandbox returns errNoFlock, so no command starts the sandbox.
func lockSandbox(dir string) (*serviceLock, error) {
	return nil, fmt.Errorf("take sandbox lock of %s: %w", dir, errNoFlock)
}

// tryLockSandbox returns errNoFlock, so no command starts the sandbox.
func tryLockSandbox(dir string) (*serviceLock, string, error) {
	return nil, "", fmt.Errorf("take sandbox lock of %s: %w", dir, errNoFlock)
}

// sandboxHolder returns the text that the sandbox lock file contains while
// this process has the lock.
func sandboxHolder() string { return fmt.Sprintf("pid %d", os.Getpid()) }
