//go:build linux || darwin

package request

import (
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request/requesttest"
)

// readWithin calls ReadFileLimited and fails the test when it does not
// return within 5 seconds, as a read of a named pipe without a writer
// would not.
func readWithin(t *testing.T, path string) error {
	t.Helper()
	return requesttest.CallWithin(t, "ReadFileLimited("+path+")", func() error {
		_, err := ReadFileLimited(path, 1024)
		return err
	})
}

func TestReadFileLimitedRejectsNamedPipe(t *testing.T) {
	path := requesttest.NamedPipe(t, t.TempDir())
	err := readWithin(t, path)
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("ReadFileLimited error = %v, want *NotRegularError", err)
	}
	if !strings.Contains(err.Error(), "a named pipe") {
		t.Errorf("error %q does not say the path is a named pipe", err)
	}
}

func TestReadFileLimitedRejectsDevice(t *testing.T) {
	err := readWithin(t, "/dev/zero")
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("ReadFileLimited error = %v, want *NotRegularError", err)
	}
	if !strings.Contains(err.Error(), "a character device") {
		t.Errorf("error %q does not say the path is a character device", err)
	}
}

// A named pipe that replaces the file between the check of the path and
// the open must fail too, and without blocking.
func TestOpenCheckedRejectsNamedPipe(t *testing.T) {
	path := requesttest.NamedPipe(t, t.TempDir())
	err := requesttest.CallWithin(t, "openChecked", func() error {
		f, _, err := openChecked(path)
		if f != nil {
			f.Close()
		}
		return err
	})
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("openChecked error = %v, want *NotRegularError", err)
	}
}
