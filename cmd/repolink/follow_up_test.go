package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// upFollowCase is a redrive or teardown whose execution repolink up runs
// while the command follows it.
type upFollowCase struct {
	command string
	// execution is the execution that the command follows.
	execution string
	// header is the progress line that shows that up runs it.
	header string
	// provision is whether the execution is a provision execution, which
	// a run of its request file also resumes.
	provision bool
}

// upFollowCases are a redrive and a teardown of the request DATA-4711.
var upFollowCases = []upFollowCase{
	{command: "redrive", execution: "DATA-4711", header: "execution DATA-4711 redrive 1 (run by repolink up)", provision: true},
	{command: "teardown", execution: "DATA-4711-teardown", header: "execution DATA-4711-teardown (run by repolink up)"},
}

// prepareUpFollow leaves the execution DATA-4711 in the state directory dir
// ready for command: stopped for a redrive, succeeded for a teardown.
func prepareUpFollow(t *testing.T, dir, command string) {
	t.Helper()
	const file = "../../examples/aws-privatelink.json"
	if command == "teardown" {
		if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != exitOK {
			t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		return
	}
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, file)
	r.waitOutput(t, "execution DATA-4711 (")
	if code := r.interrupt(t); code != exitInterrupted {
		t.Fatalf("interrupted run: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, r.stderr)
	}
	if code, out, errOut := runCLI(t, "stop", "--state-dir", dir, "DATA-4711"); code != exitOK {
		t.Fatalf("stop: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// startUpFollow prepares a state directory for tc, starts repolink up on it
// and then tc.command, and waits until the command shows that up runs the
// execution.
func startUpFollow(t *testing.T, tc upFollowCase) (string, *upProcess, *backgroundRun) {
	t.Helper()
	dir := t.TempDir()
	prepareUpFollow(t, dir, tc.command)
	up := startUp(t, dir)
	r := startRun(t, tc.command, "--sandbox", "--state-dir", dir, "DATA-4711")
	r.waitOutput(t, tc.header)
	return dir, up, r
}

// errTakeOverDisabled is the error of every take-over after failTakeOver.
var errTakeOverDisabled = errors.New("take-over disabled by the test")

// failTakeOver makes every take-over of the test fail with
// errTakeOverDisabled, as when the command cannot start the sandbox, so
// that the command waits for another process to run its execution.
func failTakeOver(t *testing.T) {
	t.Helper()
	saved := openTakeOver
	openTakeOver = func(context.Context, request.Request, runtimeOptions) (*runtime, string, func(), error) {
		return nil, "", nil, errTakeOverDisabled
	}
	t.Cleanup(func() { openTakeOver = saved })
}

// TestRedriveTeardownNoticeUpStopped stops repolink up while a redrive or
// teardown that up runs follows its execution, and the command cannot take
// the execution over. The command must print why, and once that nothing
// runs the execution, with the commands that resume it, and its interrupt
// message must state it too.
func TestRedriveTeardownNoticeUpStopped(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	for _, tc := range upFollowCases {
		t.Run(tc.command, func(t *testing.T) {
			failTakeOver(t)
			dir, up, r := startUpFollow(t, tc)

			up.stop()
			undrivenNote := "execution " + tc.execution + " is open"
			waitFor(t, "the "+tc.command+" to report that nothing runs "+tc.execution, func() bool {
				return strings.Contains(r.stderr.String(), undrivenNote)
			})
			// The command checks about every 200ms, so a second is
			// several checks.
			time.Sleep(time.Second)
			errOut := r.stderr.String()
			if n := strings.Count(errOut, undrivenNote); n != 1 {
				t.Errorf("%s reported %d times that nothing runs %s, want once:\n%s", tc.command, n, tc.execution, errOut)
			}
			wants := []string{
				"nothing runs it now: no repolink up serves this state directory",
				"start 'repolink up --sandbox --state-dir " + dir + "'",
				"'repolink stop --state-dir " + dir + " " + tc.execution + "'",
				"This " + tc.command + " goes on following it",
				"this " + tc.command + " failed to take over execution " + tc.execution + ": " + errTakeOverDisabled.Error(),
			}
			if tc.provision {
				wants = append(wants, "run 'repolink run --sandbox --state-dir "+dir+" FILE'")
			}
			for _, want := range wants {
				if !strings.Contains(errOut, want) {
					t.Errorf("%s stderr after up stopped lacks %q:\n%s", tc.command, want, errOut)
				}
			}

			if code := r.interrupt(t); code != exitInterrupted {
				t.Errorf("interrupted %s: exit %d, want %d\nstderr:\n%s", tc.command, code, exitInterrupted, r.stderr)
			}
			_, interrupted, found := strings.Cut(r.stderr.String(), "repolink: interrupted; ")
			if !found {
				t.Fatalf("%s stderr has no interrupt message:\n%s", tc.command, r.stderr)
			}
			if !strings.Contains(interrupted, "nothing runs it now") {
				t.Errorf("interrupt message does not say that nothing runs %s:\n%s", tc.execution, interrupted)
			}
		})
	}
}

// TestRedriveTeardownFollowRestartedUp restarts repolink up while a
// redrive or teardown that up runs follows its execution, which the command
// cannot take over. The command must print that a process runs the
// execution again and end with the execution's result.
func TestRedriveTeardownFollowRestartedUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	for _, tc := range upFollowCases {
		t.Run(tc.command, func(t *testing.T) {
			failTakeOver(t)
			dir, up, r := startUpFollow(t, tc)
			up.stop()
			waitFor(t, "the "+tc.command+" to report that nothing runs "+tc.execution, func() bool {
				return strings.Contains(r.stderr.String(), "nothing runs it now")
			})

			// The default sandbox latency keeps the redriven execution open
			// for several of the command's checks, so that a check finds it
			// run again. The sandbox teardown closes within one check of the
			// restart, so only its result is checked.
			startUp(t, dir)
			r.waitOutput(t, "status:           SUCCEEDED")
			if code := r.wait(t, "the summary"); code != exitOK {
				t.Errorf("%s after up restarted: exit %d, want %d\nstderr:\n%s", tc.command, code, exitOK, r.stderr)
			}
			want := "a process runs execution " + tc.execution + " again"
			if tc.provision && !strings.Contains(r.stderr.String(), want) {
				t.Errorf("%s stderr lacks %q:\n%s", tc.command, want, r.stderr)
			}
		})
	}
}
