// Package receivers groups notification deliveries by the receiver they go
// to and bounds how many are in flight. It imports nothing of the engine,
// so the Lambda bootstrap can link it.
package receivers

import (
	"context"
	"net/url"
	"strings"
)

// Of returns the receiver of the notify.url raw: its host and port,
// lowercased. It returns "" when raw is empty, is not a valid URL or has no
// host, so all such records share one receiver. Deliveries to one receiver
// are sent one at a time.
func Of(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// Slots bounds the number of deliveries in flight across all receivers.
// Each element is one delivery in flight.
type Slots chan struct{}

// NewSlots returns Slots that allow size deliveries in flight at once.
func NewSlots(size int) Slots {
	return make(Slots, size)
}

// Acquire waits for a free slot, takes it and returns true. It returns
// false, holding no slot, when ctx ends first. A caller that got true
// calls Release once its delivery ends.
func (s Slots) Acquire(ctx context.Context) bool {
	select {
	case s <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	if ctx.Err() != nil {
		s.Release()
		return false
	}
	return true
}

// Release frees a slot that Acquire took.
func (s Slots) Release() { <-s }
