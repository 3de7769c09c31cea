//go:build unix && !linux

package proxycheck

import "syscall"

// procAttr puts nginx in its own process group, so that Stop reaches its
// workers.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
