//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// startLockDir is the directory in the state directory that contains the
// start lock files, one per stripe of request IDs (startLockStripe). A
// process holds an exclusive flock on the file of a request's stripe while
// it checks whether an execution of that request may start or be redriven,
// and starts or redrives it.
const startLockDir = "start-locks"

// startLockRetry is how often lockStarts tries again to take a start lock
// that another process has.
const startLockRetry = 5 * time.Millisecond

// startLockPath returns the path of the start lock file of the request with
// ID requestID in the state directory dir.
func startLockPath(dir, requestID string) string {
	return filepath.Join(dir, startLockDir, fmt.Sprintf("%02d.lock", startLockStripe(requestID)))
}

// lockStarts takes the start lock of the request with ID requestID in dir,
// waiting until ctx is done, and returns the function that releases it.
func lockStarts(ctx context.Context, dir, requestID string) (func(), error) {
	path := startLockPath(dir, requestID)
	leave, err := enterStartGate(ctx, dir, requestID)
	if err != nil {
		return nil, fmt.Errorf("wait for start lock %s of request %q: %w", path, requestID, err)
	}
	f, err := openStartLock(path)
	if err != nil {
		leave()
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			leave()
			return nil, fmt.Errorf("take start lock %s of request %q: %w", path, requestID, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			leave()
			return nil, fmt.Errorf("wait for start lock %s of request %q: %w", path, requestID, ctx.Err())
		case <-time.After(startLockRetry):
		}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		leave()
	}, nil
}

// openStartLock opens the start lock file at path, creating it and its
// directory when they are missing.
func openStartLock(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create start lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open start lock: %w", err)
	}
	return f, nil
}
