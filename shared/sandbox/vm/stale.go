//go:build unix

package vm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/repolink/repolink/shared/privatefile"
)

// StopAll stops every nginx that a launcher in dir started and that is still
// running, such as one left by a process that was killed. It reads the pid
// files that nginx writes in each instance directory.
func StopAll(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*", "nginx.pid"))
	if err != nil {
		return fmt.Errorf("list nginx pid files in %s: %w", dir, err)
	}
	var errs []error
	for _, file := range files {
		errs = append(errs, stopFromPidFile(file))
	}
	return errors.Join(errs...)
}

// stopFromPidFile sends SIGKILL to the process group named in a pid file
// when that process is an nginx, and removes the file.
func stopFromPidFile(file string) error {
	data, err := privatefile.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("read %s: %w", file, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return os.Remove(file)
	}
	// The pid may have been reused by an unrelated process since.
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "nginx" {
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", file, err)
	}
	return nil
}
