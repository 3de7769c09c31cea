//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/repolink/repolink/shared/privatefile"
)

// errServing is returned by lockStateDir when another repolink up serves
// the state directory.
var errServing = errors.New("another repolink up serves this state directory")

// lockStateDir takes the service lock of dir and records whether the
// service runs the sandbox, which other commands must then not start.
func lockStateDir(dir string, sandbox bool) (*serviceLock, error) {
	f, err := privatefile.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, lockOpenError(dir, "service lock", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errServing
		}
		return nil, fmt.Errorf("take service lock: %w", err)
	}
	mode := "real"
	if sandbox {
		mode = "sandbox"
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d\nmode %s\n", os.Getpid(), mode)), 0)
	}
	return &serviceLock{file: f}, nil
}

// lockOpenError returns the error for a lock file of the state directory
// dir that could not be opened. When dir is not writable, such as on a
// read-only file system, it returns a usage error, because only another
// directory or user helps then.
func lockOpenError(dir, lock string, err error) error {
	if errors.Is(err, privatefile.ErrNotRegular) {
		return usagef("%v", err)
	}
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return usagef("state directory %s is not writable, so the %s file cannot be created there: %v; "+
			"run the command as a user who can write %s, or set --state-dir to a writable directory", dir, lock, err, dir)
	}
	return fmt.Errorf("open %s: %w", lock, err)
}

// release gives the lock up.
func (l *serviceLock) release() {
	_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
	l.file.Close()
}

// serviceStatus reports whether a repolink up serves dir, and whether it
// runs the sandbox there.
func serviceStatus(dir string) (serving, sandbox bool) {
	f, err := privatefile.OpenFile(filepath.Join(dir, lockFile), os.O_RDONLY)
	if err != nil {
		return false, false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false, false
	}
	data, _ := io.ReadAll(f)
	return true, strings.Contains(string(data), "mode sandbox")
}

// checkSandboxFree returns a usage error when repolink up runs the sandbox
// in dir, because two processes must not share one sandbox world.
func checkSandboxFree(dir string) error {
	if serving, sandbox := serviceStatus(dir); serving && sandbox {
		return usagef("repolink up is serving %s with the sandbox; send the work to it, stop it first, or use another --state-dir", dir)
	}
	return nil
}

// sandboxLockFile is the file in the state directory that a process holds
// an exclusive flock on while it runs the sandbox there.
const sandboxLockFile = "sandbox.lock"

// lockSandbox takes the sandbox lock of dir, so that two processes never
// run two sandboxes on one world. It returns a usage error naming the
// holder when another process has it.
func lockSandbox(dir string) (*serviceLock, error) {
	lock, holder, err := tryLockSandbox(dir)
	if err != nil {
		return nil, err
	}
	if lock == nil {
		return nil, sandboxBusy(dir, holder)
	}
	return lock, nil
}

// tryLockSandbox takes the sandbox lock of dir. When another process holds
// it, the lock is nil and holder is the holder's "pid N".
func tryLockSandbox(dir string) (lock *serviceLock, holder string, err error) {
	path := filepath.Join(dir, sandboxLockFile)
	f, err := privatefile.OpenFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, "", lockOpenError(dir, "sandbox lock", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			data, _ := io.ReadAll(f)
			f.Close()
			return nil, strings.TrimSpace(string(data)), nil
		}
		f.Close()
		return nil, "", fmt.Errorf("take sandbox lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(sandboxHolder()), 0)
	}
	return &serviceLock{file: f}, "", nil
}

// sandboxHolder returns the text that the sandbox lock file contains while
// this process has the lock.
func sandboxHolder() string { return fmt.Sprintf("pid %d", os.Getpid()) }
