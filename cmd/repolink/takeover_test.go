//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// upChildArgs is the environment variable that makes TestUpChildProcess
// run repolink with the arguments it contains, separated by newlines.
const upChildArgs = "REPOLINK_TEST_UP_CHILD_ARGS"

// TestUpChildProcess is not a test on its own. Run by startUpChild in a
// child process, it runs repolink as main does and exits with its status.
func TestUpChildProcess(t *testing.T) {
	args := os.Getenv(upChildArgs)
	if args == "" {
		t.Skip("runs only as the child process of startUpChild")
	}
	if dir := os.Getenv(cloudSandboxDirEnv); dir != "" {
		cloudEndpoints = attachCloudSandbox(dir)
	}
	os.Exit(runProcess(strings.Split(args, "\n")))
}

// startUpChild starts repolink up in sandbox mode on dir in a child
// process and waits until it listens.
func startUpChild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	args := []string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir}
	cmd, _ := startUpChildWith(t, args, envAPIToken+"=")
	return cmd
}

// startUpChildWith starts repolink with args, such as those of up, in a
// child process with the extra environment variables env, and waits until
// it listens. It returns the process and its standard error.
func startUpChildWith(t *testing.T, args []string, env ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestUpChildProcess$")
	cmd.Env = append(os.Environ(), upChildArgs+"="+strings.Join(args, "\n"), envWebhookSecret+"="+testWebhookSecret)
	cmd.Env = append(cmd.Env, env...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	waitFor(t, "repolink up in the child process to listen", func() bool {
		select {
		case <-exited:
			t.Fatalf("repolink up in the child process exited before listening:\n%s", logs)
		default:
		}
		return strings.Contains(logs.String(), `"msg":"repolink up started"`)
	})
	return cmd, logs
}

// takeOverCase is a command that follows an execution of repolink up.
type takeOverCase struct {
	upFollowCase
	// args are the arguments of the command after the flags.
	args []string
}

// takeOverCases are a run, a redrive and a teardown of the request
// DATA-4711.
var takeOverCases = []takeOverCase{
	{upFollowCase: upFollowCase{command: "run", execution: "DATA-4711", header: "execution DATA-4711 (run by repolink up)"},
		args: []string{"../../examples/aws-privatelink.json"}},
	{upFollowCase: upFollowCases[0], args: []string{"DATA-4711"}},
	{upFollowCase: upFollowCases[1], args: []string{"DATA-4711"}},
}

// taskCounts returns, for each Task state of execution name in the engine
// store of dir, how often it was entered and how often its task succeeded,
// counting from the execution's last start or redrive.
func taskCounts(t *testing.T, dir, name string) (entered, succeeded map[string]int) {
	t.Helper()
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	events, err := eng.History(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	entered, succeeded = map[string]int{}, map[string]int{}
	for _, ev := range events {
		switch ev.Type {
		case "ExecutionStarted", "ExecutionRedriven":
			entered, succeeded = map[string]int{}, map[string]int{}
		case "TaskStateEntered":
			entered[ev.State]++
		case "TaskSucceeded":
			succeeded[ev.State]++
		}
	}
	return entered, succeeded
}

// checkTasksOnce fails the test unless each Task state of the succeeded
// execution name in dir was entered once and its task succeeded once. Two
// processes that ran the execution at the same time would record a task
// twice.
//
// NOTE: the history records a task's outcome, not each call of its
// function. A task that a killed process had started may run once more in
// the process that resumes it, and the history shows one success for both.
func checkTasksOnce(t *testing.T, dir, name string) {
	t.Helper()
	entered, succeeded := taskCounts(t, dir, name)
	if len(entered) == 0 {
		t.Errorf("execution %s entered no Task state", name)
	}
	for state, n := range entered {
		if n != 1 {
			t.Errorf("Task state %s of %s was entered %d times, want once", state, name, n)
		}
		if succeeded[state] != 1 {
			t.Errorf("task %s of %s succeeded %d times, want once", state, name, succeeded[state])
		}
	}
}

// TestFollowTakesOverStoppedUp stops repolink up while a run, redrive or
// teardown that up runs follows its execution. The command must take the
// execution over, run it to its end with the same progress output, and
// exit with status 0.
func TestFollowTakesOverStoppedUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	for _, tc := range takeOverCases {
		t.Run(tc.command, func(t *testing.T) {
			dir := t.TempDir()
			if tc.command != "run" {
				prepareUpFollow(t, dir, tc.command)
			}
			up := startUp(t, dir)
			args := append([]string{tc.command, "--sandbox", "--state-dir", dir}, tc.args...)
			r := startRun(t, args...)
			r.waitOutput(t, tc.header)

			up.stop()
			if code := r.wait(t, "repolink up stopped"); code != exitOK {
				t.Fatalf("%s after up stopped: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.command, code, exitOK, r.stdout, r.stderr)
			}
			if out := r.stdout.String(); !strings.Contains(out, "status:           SUCCEEDED") {
				t.Errorf("%s stdout has no SUCCEEDED summary:\n%s", tc.command, out)
			}
			errOut := r.stderr.String()
			want := "this " + tc.command + " takes over execution " + tc.execution
			if !strings.Contains(errOut, want) {
				t.Errorf("%s stderr lacks %q:\n%s", tc.command, want, errOut)
			}
			if strings.Contains(errOut, "nothing runs it now") {
				t.Errorf("%s reported that nothing runs %s, although it took it over:\n%s", tc.command, tc.execution, errOut)
			}
			checkTasksOnce(t, dir, tc.execution)
		})
	}
}

// TestRunTakesOverKilledUp kills repolink up, running in a child process,
// with SIGKILL while a run that up runs follows its execution. The run
// must take the execution over once up's runner lease has expired, finish
// it and exit with status 0, and no task may succeed twice.
func TestRunTakesOverKilledUp(t *testing.T) {
	dir := t.TempDir()
	up := startUpChild(t, dir)
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, "../../examples/aws-privatelink.json")
	r.waitOutput(t, "execution DATA-4711 (run by repolink up)")
	// The default sandbox latency keeps the execution open for seconds
	// after its first step.
	r.waitOutput(t, "  preflight ")

	if err := up.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t, "repolink up was killed"); code != exitOK {
		t.Fatalf("run after up was killed: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, r.stdout, r.stderr)
	}
	if out := r.stdout.String(); !strings.Contains(out, "status:           SUCCEEDED") {
		t.Errorf("run stdout has no SUCCEEDED summary:\n%s", out)
	}
	if errOut := r.stderr.String(); !strings.Contains(errOut, "this run takes over execution DATA-4711") {
		t.Errorf("run stderr does not report the take-over:\n%s", errOut)
	}
	checkTasksOnce(t, dir, "DATA-4711")
}
