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

	"github.com/repolink/repolink/shared/privatefile"
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
	return stripeLockPath(dir, startLockStripe(requestID))
}

// stripeLockPath returns the path of the start lock file of stripe in the
// state directory dir.
func stripeLockPath(dir string, stripe int) string {
	return filepath.Join(dir, startLockDir, fmt.Sprintf("%02d.lock", stripe))
}

// legacyStartLock is the file in the state directory that repolink locked
// exclusively for every start before the per-stripe files existed.
// lockStarts also holds a shared flock on it. So starts of this repolink
// still run side by side, while an older repolink's starts wait for them
// and they wait for an older repolink's starts.
const legacyStartLock = "start.lock"

// lockStarts takes the start lock of the request with ID requestID in dir,
// waiting until ctx is done, and returns the function that releases it.
func lockStarts(ctx context.Context, dir, requestID string) (func(), error) {
	return lockStartsWith(ctx, dir, requestID, nil)
}

// lockStartsWith takes the start locks of the request with ID requestID
// and of the claim keys claims (intakeLockKeys) in dir, waiting until ctx
// is done, and returns the function that releases them. It takes the
// stripes in ascending order, so two starts that need some of the same
// stripes cannot each hold one that the other waits for.
func lockStartsWith(ctx context.Context, dir, requestID string, claims []string) (func(), error) {
	var releases []func()
	release := func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
	for _, stripe := range startLockStripesOf(requestID, claims) {
		path := stripeLockPath(dir, stripe)
		leave, err := enterStartGate(ctx, dir, stripe)
		if err != nil {
			release()
			return nil, fmt.Errorf("wait for start lock %s of request %q: %w", path, requestID, err)
		}
		f, err := takeFlock(ctx, path, syscall.LOCK_EX)
		if err != nil {
			leave()
			release()
			return nil, fmt.Errorf("take start lock %s of request %q: %w", path, requestID, err)
		}
		releases = append(releases, func() {
			releaseFlock(f)
			leave()
		})
	}
	legacy := filepath.Join(dir, legacyStartLock)
	shared, err := takeFlock(ctx, legacy, syscall.LOCK_SH)
	if err != nil {
		release()
		return nil, fmt.Errorf("take start lock %s of request %q: %w", legacy, requestID, err)
	}
	releases = append(releases, func() { releaseFlock(shared) })
	return release, nil
}

// takeFlock opens the lock file at path, creating it when it is missing,
// and takes a flock in mode (LOCK_EX or LOCK_SH) on it. It tries again
// every startLockRetry until ctx is done.
func takeFlock(ctx context.Context, path string, mode int) (*os.File, error) {
	f, err := openStartLock(path)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), mode|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(startLockRetry):
		}
	}
}

// releaseFlock releases the flock on f and closes it.
func releaseFlock(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

// openStartLock opens the start lock file at path, creating it and its
// directory when they are missing.
func openStartLock(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create start lock directory: %w", err)
	}
	f, err := privatefile.OpenFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("open start lock: %w", err)
	}
	return f, nil
}
