//go:build !linux && !darwin

package storehealth

// freeBytes reports that the free space of dir is unknown on this system.
func freeBytes(dir string) (uint64, bool) { return 0, false }

// fileSizeLimit reports that the file size limit is unknown on this system.
func fileSizeLimit() (uint64, bool) { return 0, false }
