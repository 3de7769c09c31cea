//go:build unix && !linux

package vm

import "syscall"

// nginxProcAttr puts nginx in its own process group. Off Linux nothing kills
// it when the sandbox dies; StopAll stops it from its pid file.
func nginxProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
