//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// taskChildDir is the environment variable that makes TestTaskRunnerChild
// run an engine on the state directory it names.
const taskChildDir = "REPOLINK_TEST_TASK_CHILD_DIR"

// TestTaskRunnerChild is not a test on its own. Run by
// TestSendTaskSuccessAfterRunnerKilled in a child process, it runs an
// engine on the state directory, starts an execution that waits for a
// task token, prints the token and runs until it is killed.
func TestTaskRunnerChild(t *testing.T) {
	dir := os.Getenv(taskChildDir)
	if dir == "" {
		t.Skip("runs only as the child process of TestSendTaskSuccessAfterRunnerKilled")
	}
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng.Register("waiter", func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil })
	if err := eng.Define("tokens", []byte(tokenMachine)); err != nil {
		t.Fatal(err)
	}
	go func() { _ = eng.Run(context.Background()) }()
	if _, err := eng.Start(context.Background(), "tokens", "killed", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString(pendingToken(t, eng, "killed") + "\n")
	select {}
}

// TestSendTaskSuccessAfterRunnerKilled kills the process that runs an
// execution with SIGKILL and sends the result of its waiting task at once,
// before that process's runner lease expires. The command must state that
// nothing runs the execution, not that a process continues it.
func TestSendTaskSuccessAfterRunnerKilled(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestTaskRunnerChild$", "-test.count=1")
	child.Env = append(os.Environ(), taskChildDir+"="+dir)
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = child.Process.Kill()
		_ = child.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the task token from the child process: %v", err)
	}
	token := strings.TrimSpace(line)

	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	code, out, errOut := runCLI(t, "send-task-success", "--state-dir", dir, token, "--output-json", `{"status": "available"}`)
	if code != exitOK {
		t.Fatalf("send-task-success exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "nothing runs the execution now") {
		t.Errorf("send-task-success after the kill does not say that nothing runs the execution:\n%s", out)
	}
	if strings.Contains(out, "continues the execution") {
		t.Errorf("send-task-success after the kill names a process that continues the execution:\n%s", out)
	}

	code, _, errOut = runCLI(t, "send-task-success", "--state-dir", dir, token, "--output-json", `{"status": "available"}`)
	if code != exitInvalid {
		t.Fatalf("second send-task-success exit %d, want %d\nstderr:\n%s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "this task token was already used") {
		t.Errorf("second send-task-success does not say that the token was used:\n%s", errOut)
	}
}
