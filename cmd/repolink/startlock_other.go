//go:build !unix

package main

import (
	"context"
	"fmt"
)

// lockStarts takes the start lock of the request with ID requestID in dir,
// waiting until ctx is done, and returns the function that releases it.
func lockStarts(ctx context.Context, dir, requestID string) (func(), error) {
	return lockStartsWith(ctx, dir, requestID, nil)
}

// lockStartsWith takes the start locks of the request with ID requestID
// and of the claim keys claims (intakeLockKeys) in dir, in ascending order
// of stripe, waiting until ctx is done, and returns the function that
// releases them.
//
// NOTE: without flock the start locks cover the goroutines of one process
// only, so two commands that start executions of one request, or of two
// requests with one claim, in one state directory at the same time can
// both pass their checks.
func lockStartsWith(ctx context.Context, dir, requestID string, claims []string) (func(), error) {
	var held []func()
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	for _, stripe := range startLockStripesOf(requestID, claims) {
		leave, err := enterStartGate(ctx, dir, stripe)
		if err != nil {
			release()
			return nil, fmt.Errorf("wait for start lock of request %q in %s: %w", requestID, dir, err)
		}
		held = append(held, leave)
	}
	return release, nil
}
