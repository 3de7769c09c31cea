package httpapi

import (
	"context"
	"sync"
	"time"
)

// DefaultSecretTTL is how long CachedSecret keeps a key before reading it
// again, so a rotated key takes effect within this time.
const DefaultSecretTTL = 5 * time.Minute

// CachedSecret reads a secret on first use and again once TTL has passed.
// A failed read is not cached. It is safe for concurrent use.
type CachedSecret struct {
	Read func(ctx context.Context) (string, error)
	// TTL is DefaultSecretTTL when zero.
	TTL time.Duration
	// Now is time.Now when nil.
	Now func() time.Time

	mu     sync.Mutex
	value  []byte
	readAt time.Time
}

// Get returns the secret, reading it when the cached copy is missing or
// older than TTL.
func (c *CachedSecret) Get(ctx context.Context) ([]byte, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultSecretTTL
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.value != nil && now().Sub(c.readAt) < ttl {
		return c.value, nil
	}
	value, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	c.value = []byte(value)
	c.readAt = now()
	return c.value, nil
}
