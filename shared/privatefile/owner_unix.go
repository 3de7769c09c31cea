//go:build unix

package privatefile

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByProcess reports whether the process's effective user owns the file
// of info.
func ownedByProcess(info fs.FileInfo) bool {
	stat, ok := info.Sys().(*syscall.Stat_t)
	return ok && int64(stat.Uid) == int64(os.Geteuid())
}
