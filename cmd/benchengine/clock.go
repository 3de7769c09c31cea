package main

import (
	"sync"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// eventClock is an engine clock for runs that wait far longer than they
// compute. Its time does not move while the engine works, and it jumps to
// a timer's due time when the timer fires. A timer of d fires after d divided
// by speedup of wall time. The engine must finish its work before a timer
// that it did not wait for fires, so runLoop sets the engine's poll interval
// to thousands of hours, and only the due times of Wait states and retries
// fire.
type eventClock struct {
	speedup float64

	mu  sync.Mutex
	now time.Time
}

func newEventClock(start time.Time, speedup float64) *eventClock {
	return &eventClock{now: start, speedup: speedup}
}

func (c *eventClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *eventClock) NewTimer(d time.Duration) engine.Timer {
	due := c.Now().Add(d)
	t := &eventTimer{ch: make(chan time.Time, 1)}
	t.timer = time.AfterFunc(time.Duration(float64(d)/c.speedup), func() {
		c.advance(due)
		t.ch <- due
	})
	return t
}

// advance moves the clock to due unless it is already later.
func (c *eventClock) advance(due time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if due.After(c.now) {
		c.now = due
	}
}

type eventTimer struct {
	timer *time.Timer
	ch    chan time.Time
}

func (t *eventTimer) C() <-chan time.Time { return t.ch }
func (t *eventTimer) Stop() bool          { return t.timer.Stop() }
