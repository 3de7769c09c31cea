// Package backoff paces the read and conditional write rounds of the
// reservation stores in cloud databases. It imports only the standard
// library, so that each cloud's store can use it without pulling in the
// SQLite driver of package reservations or another cloud's SDK.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Step is the maximum pause after the first failed round. The maximum
// grows by Step with each round up to MaxSteps rounds, and every pause is
// jittered, so that the callers that lost a round do not meet again in the
// next.
const Step = 20 * time.Millisecond

// MaxSteps caps the growth of the maximum pause at MaxSteps times Step.
const MaxSteps = 10

// Pause sleeps before a round of a read and conditional write loop for a
// random time below min(attempt, MaxSteps) times Step, where attempt is the
// number of rounds that failed so far. It returns at once when attempt is
// 0 or less, so a loop can call it before its first round, and returns
// ctx's error when ctx ends first.
func Pause(ctx context.Context, attempt int) error {
	if attempt <= 0 {
		return nil
	}
	timer := time.NewTimer(rand.N(time.Duration(min(attempt, MaxSteps)) * Step))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
