//go:build !unix

package main

import (
	"context"
	"fmt"
)

// lockStarts takes the start lock of the request with ID requestID in dir,
// waiting until ctx is done, and returns the function that releases it.
//
// NOTE: without flock the start lock covers the goroutines of one process
// only, so two commands that start executions of one request in one state
// directory at the same time can both pass their checks.
func lockStarts(ctx context.Context, dir, requestID string) (func(), error) {
	leave, err := enterStartGate(ctx, dir, requestID)
	if err != nil {
		return nil, fmt.Errorf("wait for start lock of request %q in %s: %w", requestID, dir, err)
	}
	return leave, nil
}
