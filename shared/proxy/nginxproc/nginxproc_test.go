//go:build unix

package nginxproc

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// maxQuickStop is well above the resend interval used below and well below
// StopTimeout, so a stop that took longer waited for the timeout.
const maxQuickStop = 2 * time.Second

// startShell starts script in its own process group, waits for its first
// output line, and returns its pid and a channel that closes when it exits.
func startShell(t *testing.T, script string) (int, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("skipping: cannot run sh: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	return cmd.Process.Pid, exited
}

// TestStopGroupResendsSIGTERM stops a shell that ignores the first SIGTERM,
// as nginx with master_process off does when the signal arrives during its
// start, and expects it to exit on a later SIGTERM rather than be killed at
// StopTimeout.
func TestStopGroupResendsSIGTERM(t *testing.T) {
	pid, exited := startShell(t, `trap 'trap - TERM' TERM; echo ready; while :; do sleep 0.01; done`)

	started := time.Now()
	err := StopGroup(pid, exited, 100*time.Millisecond)
	took := time.Since(started)

	if err != nil {
		t.Errorf("StopGroup: %v", err)
	}
	if took > maxQuickStop {
		t.Errorf("StopGroup took %s, want under %s", took, maxQuickStop)
	}
}

func TestStopGroupWithoutResend(t *testing.T) {
	pid, exited := startShell(t, `echo ready; while :; do sleep 0.01; done`)

	if err := StopGroup(pid, exited, 0); err != nil {
		t.Errorf("StopGroup: %v", err)
	}
	if err := StopGroup(pid, exited, 0); err != nil {
		t.Errorf("StopGroup after exit: %v", err)
	}
}

func TestWaitReadyOpenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	if err := WaitReady(t.Context(), make(chan struct{}), ln.Addr().String()); err != nil {
		t.Errorf("WaitReady: %v", err)
	}
}

func TestWaitReadyProcessExited(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	exited := make(chan struct{})
	close(exited)

	err = WaitReady(t.Context(), exited, addr)
	if !errors.Is(err, ErrExited) {
		t.Errorf("WaitReady = %v, want ErrExited", err)
	}
}

func TestLogTailLastFiveLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	if err := os.WriteFile(path, []byte("1\n2\n3\n4\n5\n6\n7\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	if got, want := LogTail(path), "3; 4; 5; 6; 7"; got != want {
		t.Errorf("LogTail = %q, want %q", got, want)
	}
}
