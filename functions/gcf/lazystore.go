package gcf

import (
	"context"
	"fmt"
	"sync"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
)

// lazyStore builds a Firestore store under the waits collection on first
// use and keeps it for later invocations on the same instance, as the other
// clients are kept. A failed build is tried again on the next call.
type lazyStore[T any] struct {
	opts gcpadapter.Options
	cfg  gcpadapter.WaitsConfig
	// build is the store's constructor, such as gcpadapter.NewWaits.
	build func(context.Context, gcpadapter.Options, gcpadapter.WaitsConfig) (*T, error)
	// name is the store in errors, such as "the wait registry".
	name string

	mu    sync.Mutex
	store *T
}

// open builds the store unless an earlier call has, and returns it.
func (l *lazyStore[T]) open() (*T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store != nil {
		return l.store, nil
	}
	// The client outlives the invocation that first needs it, so it is
	// not bound to its context.
	store, err := l.build(context.Background(), l.opts, l.cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s that %s, %s and %s name: %w",
			l.name, envWaitsProject, envWaitsDatabase, envWaitsCollection, err)
	}
	l.store = store
	return store, nil
}
