//go:build unix

package proxycheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/proxy/nginxproc"
)

// nginxProcess is an nginx master process started in its own process group.
type nginxProcess struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	errLog  string
}

// testConfig runs `nginx -t` on the nginx.conf in dir, with dir as the
// prefix, so nothing under the system configuration directory is read.
func testConfig(ctx context.Context, bin proxy.Binary, dir string) error {
	cmd := exec.CommandContext(ctx, bin.Path, "-t", "-q", "-p", dir+string(filepath.Separator),
		"-c", "nginx.conf", "-e", "stderr")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("nginx -t: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// startNginx runs nginx on the nginx.conf in dir in the foreground, as the
// container does, with the access log (stdout) and the error log (stderr)
// in files in dir. It returns once every address in ready accepts TCP
// connections.
func startNginx(ctx context.Context, bin proxy.Binary, dir string, ready ...string) (*nginxProcess, error) {
	accessLog, err := os.Create(filepath.Join(dir, "access.log"))
	if err != nil {
		return nil, fmt.Errorf("create access log: %w", err)
	}
	defer accessLog.Close()
	errLogPath := filepath.Join(dir, "error.log")
	errLog, err := os.Create(errLogPath)
	if err != nil {
		return nil, fmt.Errorf("create error log: %w", err)
	}
	defer errLog.Close()

	// The process must outlive ctx, which bounds only the start.
	cmd := exec.Command(bin.Path, "-p", dir+string(filepath.Separator), "-c", "nginx.conf",
		"-e", "stderr", "-g", "daemon off;")
	cmd.Stdout = accessLog
	cmd.Stderr = errLog
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin.Path, err)
	}
	p := &nginxProcess{cmd: cmd, exited: make(chan struct{}), errLog: errLogPath}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	if err := nginxproc.WaitReady(ctx, p.exited, ready...); err != nil {
		p.Stop()
		if errors.Is(err, nginxproc.ErrExited) {
			return nil, fmt.Errorf("nginx exited (%v): %s", p.waitErr, p.ErrorLog())
		}
		return nil, err
	}
	return p, nil
}

// Stop sends SIGTERM to nginx's process group, which makes the master stop
// its workers, and SIGKILL when the master has not exited within
// nginxproc.StopTimeout. Stopping a stopped process is a no-op.
func (p *nginxProcess) Stop() error {
	return nginxproc.StopGroup(p.cmd.Process.Pid, p.exited, 0)
}

// ErrorLog returns the last lines of nginx's error log.
func (p *nginxProcess) ErrorLog() string {
	return nginxproc.LogTail(p.errLog)
}
