//go:build !unix

package main

import (
	"context"
	"sync"
)

// startMu is the start lock on systems without flock.
var startMu sync.Mutex

// NOTE: without flock the start lock covers the goroutines of one process
// only, so two commands that start executions in one state directory at
// the same time can both pass their checks.
func withStartLock(ctx context.Context, dir string, fn func() error) error {
	unlock, err := lockStarts(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

func lockStarts(context.Context, string) (func(), error) {
	startMu.Lock()
	return startMu.Unlock, nil
}
