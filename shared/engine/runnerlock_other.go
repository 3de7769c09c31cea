//go:build !unix

package engine

import "os"

// lockRunnerFile returns nil, because this platform has no flock, so
// RunnerActive relies on the lease's expiry alone.
func lockRunnerFile(string) *os.File { return nil }

// runnerFileLocked reports that the holder's liveness is unknown.
func runnerFileLocked(string) (locked, known bool) { return false, false }
