package simtest

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

func TestClockAdvance(t *testing.T) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := NewClock(start)
	clock.Advance(time.Minute)
	if got, want := clock.Now(), start.Add(time.Minute); !got.Equal(want) {
		t.Errorf("Now = %s, want %s", got, want)
	}
}

func TestLauncherRelaunchAfterStop(t *testing.T) {
	var l Launcher
	addr, err := l.Launch(t.Context(), "i-1", "serve 443")
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial the launched VM at %s: %v", addr, err)
	}
	conn.Close()

	again, err := l.Launch(t.Context(), "i-1", "other")
	if err != nil {
		t.Fatalf("second Launch of a running VM: %v", err)
	}
	if again != addr {
		t.Errorf("second Launch of a running VM = %s, want its address %s", again, addr)
	}
	if err := l.Stop("i-1"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if l.Running() != 0 {
		t.Errorf("Running = %d after Stop, want 0", l.Running())
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Errorf("the stopped VM at %s still accepts connections", addr)
	}

	if _, err := l.Launch(t.Context(), "i-1", "relaunched"); err != nil {
		t.Fatalf("Launch after Stop: %v", err)
	}
	if got, want := l.Launched(), []string{"i-1", "i-1"}; !slices.Equal(got, want) {
		t.Errorf("Launched = %v, want %v", got, want)
	}
	if got := l.UserData("i-1"); got != "relaunched" {
		t.Errorf("UserData = %q, want the last launch's %q", got, "relaunched")
	}
	if err := l.Stop("i-1"); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := l.Stop("i-2"); err != nil {
		t.Errorf("Stop of a VM never launched: %v", err)
	}
}

func TestCancelAwareLauncherEndedContext(t *testing.T) {
	var l CancelAwareLauncher
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Launch(ctx, "i-1", "serve 443"); !errors.Is(err, context.Canceled) {
		t.Errorf("Launch with an ended context: error %v, want context.Canceled", err)
	}
	if got := l.Launched(); len(got) != 0 {
		t.Errorf("Launched = %v after a canceled launch, want none", got)
	}

	if _, err := l.Launch(t.Context(), "i-1", "serve 443"); err != nil {
		t.Fatalf("Launch with a live context: %v", err)
	}
	if l.Running() != 1 {
		t.Errorf("Running = %d, want 1", l.Running())
	}
	if err := l.Stop("i-1"); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
