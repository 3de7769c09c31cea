package sandbox

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestScaledClock(t *testing.T) {
	tests := []struct {
		name       string
		factor     float64
		wallPassed time.Duration
		wantPassed time.Duration
		wantWall   time.Duration // Wall of one minute
	}{
		{"sixty times", 60, time.Second, time.Minute, time.Second},
		{"six thousand times", 6000, 600 * time.Millisecond, time.Hour, 10 * time.Millisecond},
		{"below one counts as one", 0.5, time.Second, time.Second, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := NewScaledClock(tt.factor)
				start := c.Now()
				time.Sleep(tt.wallPassed)
				if got := c.Now().Sub(start); got != tt.wantPassed {
					t.Errorf("after %s of wall time the clock moved %s, want %s", tt.wallPassed, got, tt.wantPassed)
				}
				if got := c.Wall(time.Minute); got != tt.wantWall {
					t.Errorf("Wall(1m) = %s, want %s", got, tt.wantWall)
				}
			})
		})
	}
}
