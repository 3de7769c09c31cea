package receivers

import (
	"context"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"host and port", "https://Hooks.Example.com:8443/notify?token=x", "hooks.example.com:8443"},
		{"host only", "https://hooks.example.com/a", "hooks.example.com"},
		{"loopback", "http://127.0.0.1:9000/", "127.0.0.1:9000"},
		{"empty", "", ""},
		{"invalid", "https://hooks.example.com:port/", ""},
		{"control character", "https://hooks.example.com/\x7f", ""},
		{"no host", "hooks.example.com/notify", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.raw); got != tt.want {
				t.Errorf("Of(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSlotsAcquireRelease(t *testing.T) {
	slots := NewSlots(1)
	if !slots.Acquire(context.Background()) {
		t.Fatal("Acquire with a free slot returned false")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if slots.Acquire(ctx) {
		t.Error("Acquire with no free slot and an ended context returned true")
	}
	if len(slots) != 1 {
		t.Errorf("slots in use after a failed Acquire = %d, want 1", len(slots))
	}

	slots.Release()
	if len(slots) != 0 {
		t.Errorf("slots in use after Release = %d, want 0", len(slots))
	}
}

func TestSlotsAcquireEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slots := NewSlots(1)
	if slots.Acquire(ctx) {
		t.Error("Acquire with a free slot and an ended context returned true")
	}
	if len(slots) != 0 {
		t.Errorf("slots in use after a failed Acquire = %d, want 0", len(slots))
	}
}
