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
	"time"

	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/proxy/nginxproc"
)

// nginxSupported reports whether this system can run nginx instances.
const nginxSupported = true

// termResendInterval is how often a stop sends SIGTERM again. The stop
// resends because nginx 1.22.1 with master_process off loses a SIGTERM that
// arrives after it installs its signal handlers and before its first
// epoll_wait. The handler only sets a flag that nginx checks after
// epoll_wait returns, and with no connections that wait has no timeout.
const termResendInterval = 100 * time.Millisecond

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
	if err := writeConf(filepath.Join(dir, "nginx.conf"), l.nginx.LoadStream+conf); err != nil {
		return nil, fmt.Errorf("write nginx.conf: %w", err)
	}
	accessLog, err := privatefile.OpenFile(filepath.Join(dir, "access.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("open access log: %w", err)
	}
	defer accessLog.Close()
	errorLogPath := filepath.Join(dir, "error.log")
	errorLog, err := privatefile.OpenFile(errorLogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
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

	stop := func() error { return nginxproc.StopGroup(cmd.Process.Pid, exited, termResendInterval) }
	listenAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Listen))
	healthAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.HealthPort))
	if err := nginxproc.WaitReady(ctx, exited, listenAddr, healthAddr); err != nil {
		stop()
		if errors.Is(err, nginxproc.ErrExited) {
			return nil, fmt.Errorf("nginx exited (%v): %s", waitErr, nginxproc.LogTail(errorLogPath))
		}
		return nil, err
	}

	return &running{
		info: Instance{ID: instanceID, Addr: listenAddr, HealthAddr: healthAddr, Kind: KindNginx, Config: cfg},
		stop: stop,
	}, nil
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

// writeConf writes conf to the file at path without following a symbolic
// link there.
func writeConf(path, conf string) error {
	f, err := privatefile.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}
