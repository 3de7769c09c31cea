// Package requesttest contains test helpers for code that reads files with
// request.ReadFileLimited, such as the checks that it rejects a named pipe
// without blocking.
package requesttest

import (
	"testing"
	"time"
)

// CallWithin calls f in a new goroutine and returns its error. It fails the
// test when f does not return within 5 seconds, as a read of a named
// pipe without a writer would not. name is the call that the failure
// names, such as "ReadFileLimited(/tmp/fifo)".
func CallWithin(t testing.TB, name string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- f()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return within 5 seconds", name)
		return nil
	}
}
