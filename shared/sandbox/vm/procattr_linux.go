package vm

import "syscall"

// nginxProcAttr puts nginx in its own process group and has the kernel kill
// it when the process that started it dies, so a sandbox killed with SIGKILL
// leaves no proxy behind. nginx runs with master_process off, so this one
// process is all there is.
func nginxProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
