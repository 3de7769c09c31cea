//go:build !unix

package privatefile

import "io/fs"

// ownedByProcess returns false, because modes other than the read-only bit
// have no effect outside Unix.
func ownedByProcess(fs.FileInfo) bool { return false }
