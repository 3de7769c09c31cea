//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// startLockFile is the file in the state directory that a process holds an
// exclusive flock on while it checks whether an execution may start or be
// redriven, and starts or redrives it.
const startLockFile = "start.lock"

// startLockRetry is how often withStartLock tries again to take a start
// lock that another holder has.
const startLockRetry = 5 * time.Millisecond

// withStartLock runs fn while holding the start lock of the state directory
// dir. Every command and service that starts or redrives an execution in
// dir's engine store takes it, so no other start comes between the checks
// in fn and the start that fn makes. The goroutines of one process pass a
// gate in turn (startGate), and processes exclude each other with flock.
func withStartLock(ctx context.Context, dir string, fn func() error) error {
	unlock, err := lockStarts(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// startGates maps each state directory to a gate, a channel with room for
// one value, that the goroutines of this process pass in turn before they
// take the directory's flock. Blocked senders on a channel are served in
// order, so a burst of webhook deliveries takes the lock first come, first
// served, and none waits on the flock retry timer while another goroutine
// of this process holds the lock.
var startGates sync.Map // cleaned directory path → chan struct{}

func startGate(dir string) chan struct{} {
	gate, _ := startGates.LoadOrStore(filepath.Clean(dir), make(chan struct{}, 1))
	return gate.(chan struct{})
}

// lockStarts takes the start lock of dir, waiting until ctx is done, and
// returns the function that releases it.
func lockStarts(ctx context.Context, dir string) (func(), error) {
	path := filepath.Join(dir, startLockFile)
	gate := startGate(dir)
	select {
	case gate <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for start lock %s: %w", path, ctx.Err())
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		<-gate
		return nil, fmt.Errorf("open start lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			<-gate
			return nil, fmt.Errorf("take start lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			<-gate
			return nil, fmt.Errorf("wait for start lock %s: %w", path, ctx.Err())
		case <-time.After(startLockRetry):
		}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		<-gate
	}, nil
}
