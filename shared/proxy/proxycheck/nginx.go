//go:build unix

package proxycheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/repolink/repolink/shared/proxy"
)

// Bounds for nginx to open its ports and to exit.
const (
	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
	pollInterval = 20 * time.Millisecond
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

	if err := p.waitReady(ctx, ready); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// waitReady polls until every address accepts a connection, nginx exits,
// or the start timeout passes.
func (p *nginxProcess) waitReady(ctx context.Context, addrs []string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		if allAccept(ctx, addrs) {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("nginx exited (%v): %s", p.waitErr, p.ErrorLog())
		case <-ctx.Done():
			return fmt.Errorf("nginx did not open %v: %w", addrs, ctx.Err())
		case <-ticker.C:
		}
	}
}

func allAccept(ctx context.Context, addrs []string) bool {
	var d net.Dialer
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, "tcp", a)
		if err != nil {
			return false
		}
		conn.Close()
	}
	return true
}

// Stop sends SIGTERM to nginx's process group, which makes the master stop
// its workers, and SIGKILL when the master has not exited within the stop
// timeout. Stopping a stopped process is a no-op.
func (p *nginxProcess) Stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	pgid := p.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal nginx process group %d: %w", pgid, err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.exited:
		return nil
	case <-timer.C:
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill nginx process group %d: %w", pgid, err)
	}
	<-p.exited
	return fmt.Errorf("nginx process group %d ignored SIGTERM for %s and was killed", pgid, stopTimeout)
}

// ErrorLog returns the last lines of nginx's error log.
func (p *nginxProcess) ErrorLog() string {
	data, err := os.ReadFile(p.errLog)
	if err != nil {
		return "no error log: " + err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "; ")
}
