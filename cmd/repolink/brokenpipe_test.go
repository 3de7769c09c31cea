//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// brokenPipeHelperArgs is the environment variable that makes
// TestBrokenPipeHelperProcess run repolink with the arguments it contains,
// separated by newlines.
const brokenPipeHelperArgs = "REPOLINK_TEST_BROKEN_PIPE_ARGS"

// TestBrokenPipeHelperProcess is not a test on its own. Run by
// TestRunSurvivesClosedStdout in a child process, it runs repolink as main
// does and exits with its status.
func TestBrokenPipeHelperProcess(t *testing.T) {
	args := os.Getenv(brokenPipeHelperArgs)
	if args == "" {
		t.Skip("runs only as the child process of TestRunSurvivesClosedStdout")
	}
	os.Exit(runProcess(strings.Split(args, "\n")))
}

// runWithClosedStdout runs repolink with args in a child process whose
// standard output is a pipe closed before the first write, as with
// 'repolink ... | head -n 0', and returns its exit status and standard error.
func runWithClosedStdout(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenPipeHelperProcess$")
	cmd.Env = append(os.Environ(), brokenPipeHelperArgs+"="+strings.Join(args, "\n"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Every write of the child to standard output now fails.
	stdout.Close()

	err = cmd.Wait()
	state := cmd.ProcessState
	if state == nil || state.ExitCode() < 0 {
		t.Fatalf("child process %q: %v (state %v)\nstderr:\n%s", args, err, state, stderr.String())
	}
	return state.ExitCode(), stderr.String()
}

// TestRunSurvivesClosedStdout checks that a sandbox run whose standard
// output is closed does not die of SIGPIPE: it completes and exits with
// status 0.
func TestRunSurvivesClosedStdout(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", filepath.Join(dir, "state"), writeRequest(t, nil)}
	if code, stderr := runWithClosedStdout(t, args...); code != exitOK {
		t.Fatalf("run: exit %d, want 0\nstderr:\n%s", code, stderr)
	}

	code, out, errOut := runCLI(t, "list", "--state-dir", filepath.Join(dir, "state"))
	if code != exitOK {
		t.Fatalf("list: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("list does not show the execution SUCCEEDED:\n%s", out)
	}
}

// TestOutputCommandsQuietOnClosedStdout checks that the commands that print
// an execution exit with status 0 and print no error when the reader of
// their standard output has gone, as with 'repolink history NAME | head -1'.
func TestOutputCommandsQuietOnClosedStdout(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", stateDir, writeRequest(t, nil))
	if code != exitOK {
		t.Fatalf("run: exit %d\nstderr:\n%s", code, errOut)
	}
	name := onlyExecutionName(t, stateDir)

	for _, args := range [][]string{
		{"list"},
		{"list", "--output", "json"},
		{"status", name},
		{"status", name, "--output", "json"},
		{"history", name},
		{"history", name, "--output", "json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stderr := runWithClosedStdout(t, append(args, "--state-dir", stateDir)...)
			if code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

// onlyExecutionName returns the name of the one execution in stateDir.
func onlyExecutionName(t *testing.T, stateDir string) string {
	t.Helper()
	code, out, errOut := runCLI(t, "list", "--state-dir", stateDir, "--output", "json")
	if code != exitOK {
		t.Fatalf("list: exit %d\nstderr:\n%s", code, errOut)
	}
	var views []struct{ Name string }
	if err := json.Unmarshal([]byte(out), &views); err != nil {
		t.Fatalf("list --output json: %v\n%s", err, out)
	}
	if len(views) != 1 {
		t.Fatalf("list shows %d executions, want 1:\n%s", len(views), out)
	}
	return views[0].Name
}
