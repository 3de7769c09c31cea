//go:build !unix

package main

import (
	"context"
	"errors"
	"testing"
)

// On a system without flock, each command that needs a lock of the state
// directory stops with errNoFlock instead of running unguarded.
func TestLocksWithoutFlock(t *testing.T) {
	dir := t.TempDir()

	if _, err := lockStateDir(dir, false); !errors.Is(err, errNoFlock) {
		t.Errorf("lockStateDir error = %v, want errNoFlock", err)
	}
	if _, err := lockSandbox(dir); !errors.Is(err, errNoFlock) {
		t.Errorf("lockSandbox error = %v, want errNoFlock", err)
	}
	if _, _, err := tryLockSandbox(dir); !errors.Is(err, errNoFlock) {
		t.Errorf("tryLockSandbox error = %v, want errNoFlock", err)
	}
	if _, err := lockStarts(context.Background(), dir, "DATA-1"); !errors.Is(err, errNoFlock) {
		t.Errorf("lockStarts error = %v, want errNoFlock", err)
	}
	if _, err := lockStartsWith(context.Background(), dir, "DATA-1", []string{"claim"}); !errors.Is(err, errNoFlock) {
		t.Errorf("lockStartsWith error = %v, want errNoFlock", err)
	}
}
