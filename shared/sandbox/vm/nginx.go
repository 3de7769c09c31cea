//go:build unix

package vm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/repolink/repolink/shared/proxy"
)

// nginxSupported reports whether this system can run nginx instances.
const nginxSupported = true

// Bounds for an nginx process to open its ports and to exit.
const (
	nginxStartTimeout  = 10 * time.Second
	nginxStopTimeout   = 5 * time.Second
	readyPollInterval  = 20 * time.Millisecond
	termResendInterval = 100 * time.Millisecond
)

// startNginx writes the rendered nginx.conf into the instance directory and
// runs nginx in the foreground with that directory as its prefix, so the
// pid file, temp directories and logs stay inside it.
func (l *Launcher) startNginx(ctx context.Context, instanceID string, cfg proxy.Config) (*running, error) {
	// NOTE: the ports are free when picked but not held, so another
	// process may take one before nginx binds it, and the start then fails.
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	cfg.Listen, cfg.HealthPort, cfg.RejectPort = ports[0], ports[1], ports[2]
	conf, err := proxy.RenderNginx(cfg)
	if err != nil {
		return nil, err
	}

	// NOTE: nginx writes nginx.pid with mode 0644 less the umask, so the
	// directory's mode 0700 is what keeps that file private.
	dir := l.instanceDir(instanceID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create instance directory: %w", err)
	}
	if err := stopFromPidFile(filepath.Join(dir, "nginx.pid")); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(l.nginx.LoadStream+conf), 0o600); err != nil {
		return nil, fmt.Errorf("write nginx.conf: %w", err)
	}
	accessLog, err := os.OpenFile(filepath.Join(dir, "access.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open access log: %w", err)
	}
	defer accessLog.Close()
	errorLogPath := filepath.Join(dir, "error.log")
	errorLog, err := os.OpenFile(errorLogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open error log: %w", err)
	}
	defer errorLog.Close()

	// The process must outlive ctx, which only bounds the start.
	cmd := exec.Command(l.nginx.Path, "-p", dir+string(filepath.Separator), "-c", "nginx.conf",
		"-e", "stderr", "-g", "daemon off; master_process off;")
	cmd.Stdout = accessLog
	cmd.Stderr = errorLog
	cmd.SysProcAttr = nginxProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", l.nginx.Path, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	stop := func() error { return stopProcessGroup(cmd.Process.Pid, exited) }
	listenAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Listen))
	healthAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.HealthPort))
	if err := waitReady(ctx, exited, listenAddr, healthAddr); err != nil {
		stop()
		if errors.Is(err, errExited) {
			return nil, fmt.Errorf("nginx exited (%v): %s", waitErr, tail(errorLogPath))
		}
		return nil, err
	}

	return &running{
		info: Instance{ID: instanceID, Addr: listenAddr, HealthAddr: healthAddr, Kind: KindNginx, Config: cfg},
		stop: stop,
	}, nil
}

var errExited = errors.New("process exited")

// waitReady polls until every address accepts a connection, the process
// exits, or the start timeout passes.
func waitReady(ctx context.Context, exited <-chan struct{}, addrs ...string) error {
	ctx, cancel := context.WithTimeout(ctx, nginxStartTimeout)
	defer cancel()
	ticker := time.NewTicker(readyPollInterval)
	defer ticker.Stop()

	for {
		if allAccept(ctx, addrs) {
			return nil
		}
		select {
		case <-exited:
			return errExited
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

// stopProcessGroup sends SIGTERM to the process group every
// termResendInterval until the process exits, and SIGKILL if it has not
// exited within the stop timeout. It resends because nginx 1.22.1 with
// master_process off loses a SIGTERM that arrives after it installs its
// signal handlers and before its first epoll_wait. The handler only sets a
// flag that nginx checks after epoll_wait returns, and with no connections
// that wait has no timeout.
func stopProcessGroup(pid int, exited <-chan struct{}) error {
	select {
	case <-exited:
		return nil
	default:
	}
	stopped, err := terminate(pid, exited)
	if err != nil || stopped {
		return err
	}

	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill nginx process group %d: %w", pid, err)
	}
	<-exited
	return fmt.Errorf("nginx process group %d ignored SIGTERM for %s and was killed", pid, nginxStopTimeout)
}

// terminate sends SIGTERM to the process group until the process exits or
// the stop timeout passes, and reports whether the process exited.
func terminate(pid int, exited <-chan struct{}) (bool, error) {
	deadline := time.NewTimer(nginxStopTimeout)
	defer deadline.Stop()
	resend := time.NewTicker(termResendInterval)
	defer resend.Stop()

	for {
		if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return false, fmt.Errorf("signal nginx process group %d: %w", pid, err)
		}
		select {
		case <-exited:
			return true, nil
		case <-deadline.C:
			return false, nil
		case <-resend.C:
		}
	}
}

// tail returns the last lines of a log file for an error message.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "no error log: " + err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "; ")
}

// freePorts returns n distinct loopback ports that were free when checked.
func freePorts(n int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range listeners {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
