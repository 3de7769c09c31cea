//go:build unix

package main

import (
	"bytes"
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

// TestRunSurvivesClosedStdout runs a sandbox run in a child process whose
// standard output is a pipe closed before the first write, as with
// 'repolink run ... | head -n 0'. The run must not die of SIGPIPE: it
// completes and exits with status 0.
func TestRunSurvivesClosedStdout(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", filepath.Join(dir, "state"), writeRequest(t, nil)}
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
	if state := cmd.ProcessState; state == nil || state.ExitCode() != exitOK {
		t.Fatalf("child process: %v (state %v), want exit status 0\nstderr:\n%s", err, state, stderr.String())
	}

	code, out, errOut := runCLI(t, "list", "--state-dir", filepath.Join(dir, "state"))
	if code != exitOK {
		t.Fatalf("list: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("list does not show the execution SUCCEEDED:\n%s", out)
	}
}
