//go:build !unix

package privatefile

import (
	"errors"
	"os"
)

// errLink marks a path whose last element is a symbolic link.
var errLink = errors.New("symbolic link")

// openNoFollow opens path with flag and mode 0600 unless its last element
// is a symbolic link when it checks.
func openNoFollow(path string, flag int) (*os.File, error) {
	if info, err := os.Lstat(path); err == nil && info.Mode()&os.ModeSymlink != 0 {
		return nil, errLink
	}
	return os.OpenFile(path, flag, 0o600)
}

// isLinkError reports whether err is the error of openNoFollow for a
// symbolic link.
func isLinkError(err error) bool { return errors.Is(err, errLink) }
