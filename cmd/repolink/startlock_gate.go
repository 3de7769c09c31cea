package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"path/filepath"
	"slices"
	"sync"
)

// withStartLock runs fn while holding the start lock of the request with ID
// requestID in the state directory dir. Every command and service that
// starts or redrives an execution in dir's engine store takes the lock of
// the execution's request, so no other start of that request comes between
// the checks in fn and the start that fn makes. A start lock covers one of
// startLockStripes stripes of request IDs, so a start of another request
// waits only when that request's ID falls in the same stripe. The
// goroutines of one process pass a gate per lock in turn (enterStartGate),
// and on Unix, processes exclude each other with flock.
func withStartLock(ctx context.Context, dir, requestID string, fn func() error) error {
	return withStartLocks(ctx, dir, requestID, nil, fn)
}

// withStartLocks is withStartLock that also holds the start locks of the
// claim keys claims, such as those of a provision request
// (intakeLockKeys). So no start of another request with one of the claims
// comes between the checks in fn and the start that fn makes.
func withStartLocks(ctx context.Context, dir, requestID string, claims []string, fn func() error) error {
	unlock, err := lockStartsWith(ctx, dir, requestID, claims)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// startLockStripes is the number of start locks per state directory. With
// one lock per request ID, each start of a new request created a lock file,
// and the webhook suite of cmd/reliability took about 50 deliveries a second
// in place of about 100 on a 2-core Linux machine. A fixed set of locks
// needs no new files, and two different requests wait for each other with
// a chance of 1 in 64.
const startLockStripes = 64

// startLockStripe returns the stripe of the request with ID requestID, a
// number below startLockStripes taken from the SHA-256 of the ID. Any ID,
// including "" for an input without one, has a stripe.
func startLockStripe(requestID string) int {
	sum := sha256.Sum256([]byte(requestID))
	return int(binary.BigEndian.Uint16(sum[:2]) % startLockStripes)
}

// startLockStripesOf returns the stripes of the request ID requestID and
// of the claim keys claims, each once, in ascending order, which is the
// order in which a start takes them.
func startLockStripesOf(requestID string, claims []string) []int {
	stripes := []int{startLockStripe(requestID)}
	for _, claim := range claims {
		stripes = append(stripes, startLockStripe(claim))
	}
	slices.Sort(stripes)
	return slices.Compact(stripes)
}

// startGateKey identifies a start lock: a cleaned state directory path and
// a stripe of request IDs.
type startGateKey struct {
	dir    string
	stripe int
}

// startGate is the in-process part of one start lock: a channel with room
// for one value that the goroutines of this process pass in turn before
// they take the lock's flock. Blocked senders on a channel are served in
// order, so a burst of webhook deliveries of one request takes the lock in
// arrival order. None of them waits on the flock retry timer while another
// goroutine of this process holds the lock.
type startGate struct {
	ch chan struct{}
	// users counts the goroutines that wait at or hold the gate. It is
	// guarded by startGatesMu.
	users int
}

// startGates contains the gates that some goroutine waits at or holds. A
// gate is removed when its last user leaves.
var (
	startGatesMu sync.Mutex
	startGates   = map[startGateKey]*startGate{}
)

// enterStartGate waits until this goroutine holds the gate of the start
// lock of stripe in dir, or ctx is done, and returns the function that
// leaves the gate.
func enterStartGate(ctx context.Context, dir string, stripe int) (func(), error) {
	key := startGateKey{dir: filepath.Clean(dir), stripe: stripe}
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
