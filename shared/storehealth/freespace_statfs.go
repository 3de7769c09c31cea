//go:build linux || darwin

package storehealth

import "syscall"

// freeBytes returns the number of free bytes that an unprivileged user can
// write on the file system of dir, and false when statfs fails.
func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
