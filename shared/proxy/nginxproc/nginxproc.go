//go:build unix

// Package nginxproc waits for and stops an nginx that runs in its own
// process group, as the proxy check and the sandbox VMs start it.
package nginxproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Bounds for nginx to open its ports and to exit.
const (
	StartTimeout = 10 * time.Second
	StopTimeout  = 5 * time.Second
	pollInterval = 20 * time.Millisecond
)

// ErrExited is returned by WaitReady when nginx exits before it opens its
// ports.
var ErrExited = errors.New("nginx exited")

// WaitReady polls until every address accepts a TCP connection, exited is
// closed, or StartTimeout passes.
func WaitReady(ctx context.Context, exited <-chan struct{}, addrs ...string) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()

	for {
		if allAccept(ctx, addrs) {
			return nil
		}
		select {
		case <-exited:
			return ErrExited
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

// StopGroup sends SIGTERM to the process group pgid and waits for exited to
// close. With a positive resend it sends SIGTERM again every resend until
// then, and with zero it sends it once. It sends SIGKILL when the process
// has not exited within StopTimeout and then returns an error. Stopping a
// process that has exited is a no-op.
func StopGroup(pgid int, exited <-chan struct{}, resend time.Duration) error {
	select {
	case <-exited:
		return nil
	default:
	}
	stopped, err := terminate(pgid, exited, resend)
	if err != nil || stopped {
		return err
	}

	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill nginx process group %d: %w", pgid, err)
	}
	<-exited
	return fmt.Errorf("nginx process group %d ignored SIGTERM for %s and was killed", pgid, StopTimeout)
}

// terminate sends SIGTERM as StopGroup describes until the process exits or
// StopTimeout passes, and reports whether the process exited.
func terminate(pgid int, exited <-chan struct{}, resend time.Duration) (bool, error) {
	deadline := time.NewTimer(StopTimeout)
	defer deadline.Stop()
	var again <-chan time.Time
	if resend > 0 {
		ticker := time.NewTicker(resend)
		defer ticker.Stop()
		again = ticker.C
	}

	for {
		if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return false, fmt.Errorf("signal nginx process group %d: %w", pgid, err)
		}
		select {
		case <-exited:
			return true, nil
		case <-deadline.C:
			return false, nil
		case <-again:
		}
	}
}

// LogTail returns the last 5 lines of the log file at path, joined with
// "; " for an error message.
func LogTail(path string) string {
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
