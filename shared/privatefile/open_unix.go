//go:build unix

package privatefile

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens path with flag and mode 0600 without following a
// symbolic link in its last element. O_NONBLOCK keeps the open of a FIFO
// from waiting for a writer, and has no effect on a regular file.
func openNoFollow(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
}

// isLinkError reports whether err is the error of an O_NOFOLLOW open of a
// symbolic link: ELOOP on Linux and macOS, EMLINK on FreeBSD.
func isLinkError(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}
