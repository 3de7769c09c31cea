package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPauseFirstAttemptReturnsAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A canceled context shows that Pause did not wait: a wait would
	// return the context's error.
	if err := Pause(ctx, 0); err != nil {
		t.Errorf("Pause(attempt 0) = %v, want nil", err)
	}
}

func TestPauseStaysBelowBound(t *testing.T) {
	for _, attempt := range []int{1, 3, MaxSteps + 5} {
		bound := time.Duration(min(attempt, MaxSteps)) * Step
		for range 5 {
			start := time.Now()
			if err := Pause(context.Background(), attempt); err != nil {
				t.Fatalf("Pause(attempt %d) = %v", attempt, err)
			}
			// The timer fires late under load, so the check allows a
			// margin above the bound.
			if took := time.Since(start); took > bound+200*time.Millisecond {
				t.Errorf("Pause(attempt %d) took %s, want below %s", attempt, took, bound)
			}
		}
	}
}

func TestPauseReturnsContextError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With a bound of MaxSteps times Step the timer almost never fires
	// before the canceled context is done. select picks at random between
	// ready cases, so the test calls Pause until it returns the error.
	for range 100 {
		if err := Pause(ctx, MaxSteps); errors.Is(err, context.Canceled) {
			return
		}
	}
	t.Error("Pause with a canceled context never returned context.Canceled")
}
