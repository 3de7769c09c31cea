package proxycheck

import "syscall"

// procAttr puts nginx in its own process group, so that Stop reaches its
// workers, and makes the kernel kill it when the check process dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
