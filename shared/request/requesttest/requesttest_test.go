package requesttest

import (
	"errors"
	"testing"
)

func TestCallWithinReturnsError(t *testing.T) {
	want := errors.New("read failed")
	if err := CallWithin(t, "f", func() error { return want }); err != want {
		t.Errorf("CallWithin = %v, want the error of f", err)
	}
	if err := CallWithin(t, "f", func() error { return nil }); err != nil {
		t.Errorf("CallWithin = %v, want nil", err)
	}
}
