package sfsandbox

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/repolink/repolink/shared/workflow"
)

// Defaults is an in-memory workflow.DefaultRegistry.
type Defaults struct {
	mu      sync.Mutex
	records map[string]workflow.DefaultSetting
	claims  map[string]workflow.LevelClaim
}

var _ workflow.DefaultRegistry = (*Defaults)(nil)

// Put stores d, replacing the record with the same key.
func (r *Defaults) Put(_ context.Context, d workflow.DefaultSetting) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.records == nil {
		r.records = map[string]workflow.DefaultSetting{}
	}
	r.records[d.Key()] = d
	return nil
}

// List returns the records in key order.
func (r *Defaults) List(context.Context) ([]workflow.DefaultSetting, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []workflow.DefaultSetting
	for _, key := range slices.Sorted(maps.Keys(r.records)) {
		out = append(out, r.records[key])
	}
	return out, nil
}

// Delete removes the record of key, if any.
func (r *Defaults) Delete(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.records, key)
	return nil
}

// UpdateClaim passes the claim of key, or nil, to change. When change requests
// a write, it stores the returned claim, or deletes the stored one for
// nil. The lock is held throughout, so the update is atomic.
func (r *Defaults) UpdateClaim(_ context.Context, key string, change workflow.ChangeClaim) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var stored *workflow.LevelClaim
	if c, ok := r.claims[key]; ok {
		stored = &c
	}
	next, write, err := change(stored)
	if err != nil || !write {
		return err
	}
	if next == nil {
		delete(r.claims, key)
		return nil
	}
	if next.Key() != key {
		return fmt.Errorf("update default level claim %q: the changed claim has key %q", key, next.Key())
	}
	if r.claims == nil {
		r.claims = map[string]workflow.LevelClaim{}
	}
	r.claims[key] = *next
	return nil
}
