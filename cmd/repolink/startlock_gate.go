package main

import (
	"context"
	"path/filepath"
	"sync"
)

// withStartLock runs fn while holding the start lock of the request with ID
// requestID in the state directory dir. Every command and service that
// starts or redrives an execution in dir's engine store takes the lock of
// the execution's request, so no other start of that request comes between
// the checks in fn and the start that fn makes. Starts of other requests
// take other locks and do not wait. The goroutines of one process pass a
// gate per lock in turn (enterStartGate), and on Unix, processes exclude
// each other with flock.
func withStartLock(ctx context.Context, dir, requestID string, fn func() error) error {
	unlock, err := lockStarts(ctx, dir, requestID)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// startGateKey identifies a start lock: a cleaned state directory path and
// a request ID.
type startGateKey struct {
	dir       string
	requestID string
}

// startGate is the in-process part of one start lock: a channel with room
// for one value that the goroutines of this process pass in turn before
// they take the lock's flock. Blocked senders on a channel are served in
// order, so a burst of webhook deliveries of one request takes the lock
// first come, first served, and none waits on the flock retry timer while
// another goroutine of this process holds the lock.
type startGate struct {
	ch chan struct{}
	// users counts the goroutines that wait at or hold the gate. It is
	// guarded by startGatesMu.
	users int
}

// startGates contains the gates that some goroutine waits at or holds. A
// gate is removed when its last user leaves, so the map does not grow with
// the number of requests that a long-running repolink up has seen.
var (
	startGatesMu sync.Mutex
	startGates   = map[startGateKey]*startGate{}
)

// enterStartGate waits until this goroutine holds the gate of the request
// with ID requestID in dir, or ctx is done, and returns the function that
// leaves the gate.
func enterStartGate(ctx context.Context, dir, requestID string) (func(), error) {
	key := startGateKey{dir: filepath.Clean(dir), requestID: requestID}
	startGatesMu.Lock()
	gate := startGates[key]
	if gate == nil {
		gate = &startGate{ch: make(chan struct{}, 1)}
		startGates[key] = gate
	}
	gate.users++
	startGatesMu.Unlock()

	release := func() {
		startGatesMu.Lock()
		gate.users--
		if gate.users == 0 {
			delete(startGates, key)
		}
		startGatesMu.Unlock()
	}
	select {
	case gate.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	return func() {
		<-gate.ch
		release()
	}, nil
}
