package sfsandbox

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/repolink/repolink/shared/workflow"
)

// Defaults is an in-memory workflow.DefaultRegistry.
type Defaults struct {
	mu      sync.Mutex
	records map[string]workflow.DefaultSetting
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
