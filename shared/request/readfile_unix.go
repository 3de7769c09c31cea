//go:build unix

package request

import "syscall"

// openNonblock makes opening a named pipe without a writer return at once.
// It does not change reads of a regular file.
const openNonblock = syscall.O_NONBLOCK
