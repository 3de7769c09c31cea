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

// fileSizeLimit returns the soft file size limit of the process
// (RLIMIT_FSIZE), and false when there is none or getrlimit fails.
func fileSizeLimit() (uint64, bool) {
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		return 0, false
	}
	// RLIM_INFINITY is all ones on Linux and the largest int64 on macOS.
	if limit.Cur >= 1<<63-1 {
		return 0, false
	}
	return uint64(limit.Cur), true
}
