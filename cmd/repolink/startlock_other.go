//go:build !unix

package main

import (
	"context"
	"fmt"
)

// lockStarts returns errNoFlock, as lockStartsWith does.
func lockStarts(ctx context.Context, dir, requestID string) (func(), error) {
	return lockStartsWith(ctx, dir, requestID, nil)
}

// lockStartsWith returns errNoFlock. A lock that covers the goroutines of
// one process only would let two commands start executions of one request,
// or of two requests with one claim, in one state directory at the same
// time.
func lockStartsWith(_ context.Context, dir, requestID string, _ []string) (func(), error) {
	return nil, fmt.Errorf("take start lock of request %q in %s: %w", requestID, dir, errNoFlock)
}
