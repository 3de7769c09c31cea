//go:build unix

package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
)

// cloudSandboxDirEnv is the environment variable that makes
// TestUpChildProcess send the clients of a runtime without --sandbox to
// the sandbox that the test process runs on the state directory it names.
const cloudSandboxDirEnv = "REPOLINK_TEST_CLOUD_SANDBOX_DIR"

// attachCloudSandbox returns a replacement for cloudEndpoints that sends
// the clients to the sandbox that another process, or another runtime of
// this process, runs on the state directory sandboxDir.
func attachCloudSandbox(sandboxDir string) func(*runtime) (endpoints, error) {
	return func(rt *runtime) (endpoints, error) {
		lock, holder, err := tryLockSandbox(sandboxDir)
		if err != nil {
			return endpoints{}, err
		}
		if lock != nil {
			lock.release()
			return endpoints{}, fmt.Errorf("no process runs the sandbox in %s", sandboxDir)
		}
		return rt.attachSandbox(sandboxDir, holder)
	}
}

// startCloudSandbox runs a sandbox prepared for the request in file on a
// state directory of its own, and makes the runtimes of this process
// without --sandbox use it in place of the real clouds. It returns that
// directory, for cloudSandboxDirEnv of child processes, and the sandbox's
// log.
func startCloudSandbox(t *testing.T, file string) (string, *syncBuffer) {
	t.Helper()
	req, err := readRequest(file)
	if err != nil {
		t.Fatal(err)
	}
	sandboxDir := t.TempDir()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	rt, err := openRuntime(context.Background(), runtimeOptions{dir: sandboxDir, sandbox: true, hosts: requestHosts(req),
		logger: logger, noExecutions: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	if err := rt.seed(context.Background(), req); err != nil {
		t.Fatalf("prepare sandbox: %v", err)
	}

	saved := cloudEndpoints
	cloudEndpoints = attachCloudSandbox(sandboxDir)
	t.Cleanup(func() { cloudEndpoints = saved })
	return sandboxDir, logs
}

// TestUpRestartWaitsForTakeOver stops repolink up on a state directory
// without --sandbox while a run follows its execution, and starts up again
// once the run has taken the execution over. The restarted up must leave
// the steps to the run until the execution closes, so that no task runs
// twice. Both up processes are child processes, and all of them reach
// the clouds of a sandbox that this process runs.
func TestUpRestartWaitsForTakeOver(t *testing.T) {
	const file = "../../examples/aws-privatelink.json"
	sandboxDir, sandboxLogs := startCloudSandbox(t, file)
	dir := t.TempDir()
	upArgs := []string{"up", "--listen", "127.0.0.1:0", "--state-dir", dir, "--poll-interval", "1s"}
	upEnv := []string{cloudSandboxDirEnv + "=" + sandboxDir, envAPIToken + "=takeover-test-api-token"}

	first, firstLogs := startUpChildWith(t, upArgs, upEnv...)
	var logs *syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("first up:\n%s\nrestarted up:\n%v\nsandbox:\n%s", firstLogs, logs, sandboxLogs)
		}
	})
	r := startRun(t, "run", "--state-dir", dir, "--poll-interval", "1s", file)
	r.waitOutput(t, "execution DATA-4711 (run by repolink up)")
	r.waitOutput(t, "  preflight ")

	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to take the execution over", func() bool {
		return strings.Contains(r.stderr.String(), "this run takes over execution DATA-4711")
	})
	_, logs = startUpChildWith(t, upArgs, upEnv...)

	if code := r.wait(t, "repolink up was restarted"); code != exitOK {
		t.Fatalf("run after up was restarted: exit %d, want %d\nstdout:\n%s\nstderr:\n%s\nrestarted up:\n%s", code, exitOK, r.stdout, r.stderr, logs)
	}
	if out := r.stdout.String(); !strings.Contains(out, "status:           SUCCEEDED") {
		t.Errorf("run stdout has no SUCCEEDED summary:\n%s", out)
	}
	checkTasksOnce(t, dir, "DATA-4711")
	if !strings.Contains(logs.String(), "runner lease held by another process") {
		t.Errorf("restarted up did not wait for the runner lease of the run:\n%s", logs)
	}
}
