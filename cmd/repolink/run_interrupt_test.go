package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// backgroundRun is a repolink command running in-process until its
// context is canceled or it ends.
type backgroundRun struct {
	stdout, stderr *syncBuffer
	done           chan int
	cancel         context.CancelFunc
}

// startRun starts the command args in-process. Its interrupt method
// cancels the command's context, as SIGINT does in runProcess.
func startRun(t *testing.T, args ...string) *backgroundRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &backgroundRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1), cancel: cancel}
	go func() { r.done <- run(ctx, args, r.stdout, r.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitOutput waits until the command's standard output contains want.
func (r *backgroundRun) waitOutput(t *testing.T, want string) {
	t.Helper()
	waitFor(t, "output "+want, func() bool {
		select {
		case code := <-r.done:
			// Output is written before the command returns, so it is
			// complete now.
			r.done <- code
			if !strings.Contains(r.stdout.String(), want) {
				t.Fatalf("command exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", code, want, r.stdout, r.stderr)
			}
			return true
		default:
			return strings.Contains(r.stdout.String(), want)
		}
	})
}

// interrupt cancels the command's context and returns its exit status.
func (r *backgroundRun) interrupt(t *testing.T) int {
	t.Helper()
	r.cancel()
	return r.wait(t, "the interrupt")
}

// wait waits up to 30s after event for the command to return and returns
// its exit status.
func (r *backgroundRun) wait(t *testing.T, event string) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("command did not return within 30s of %s\nstdout:\n%s\nstderr:\n%s", event, r.stdout, r.stderr)
		return 0
	}
}

func TestRunInterruptedExitStatus(t *testing.T) {
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) { doc["id"] = "INT-1" })
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, file)
	r.waitOutput(t, "execution INT-1 (")

	if code := r.interrupt(t); code != exitInterrupted {
		t.Errorf("interrupted run: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, r.stderr)
	}
	errOut := r.stderr.String()
	for _, want := range []string{
		"execution INT-1 keeps its state and stays open",
		"run 'repolink run --sandbox --state-dir " + dir + " " + file + "' again",
		"start 'repolink up --sandbox --state-dir " + dir + "'",
		"'repolink status --state-dir " + dir + " INT-1'",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("interrupted run stderr lacks %q:\n%s", want, errOut)
		}
	}

	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.Describe(context.Background(), "INT-1")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != engine.StatusRunning {
		t.Errorf("INT-1 after the interrupt is %s, want %s", x.Status, engine.StatusRunning)
	}
}

// TestRunNoticesUpStopped stops repolink up while a run that handed its
// execution to up follows it, and the run cannot take the execution over.
// The run must print once that nothing runs the execution, with the
// commands that resume it, and its interrupt message must not claim that up
// still runs it.
func TestRunNoticesUpStopped(t *testing.T) {
	failTakeOver(t)
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir)
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, "../../examples/aws-privatelink.json")
	r.waitOutput(t, "execution DATA-4711 (run by repolink up)")

	up.stop()
	const undrivenNote = "execution DATA-4711 is open"
	waitFor(t, "the run to report that nothing runs DATA-4711", func() bool {
		return strings.Contains(r.stderr.String(), undrivenNote)
	})
	// The run checks about every 200ms, so a second is several checks.
	time.Sleep(time.Second)
	errOut := r.stderr.String()
	if n := strings.Count(errOut, undrivenNote); n != 1 {
		t.Errorf("run reported %d times that nothing runs DATA-4711, want once:\n%s", n, errOut)
	}
	for _, want := range []string{
		"nothing runs it now: no repolink up serves this state directory",
		"run 'repolink run --sandbox --state-dir " + dir + " FILE'",
		"start 'repolink up --sandbox --state-dir " + dir + "'",
		"'repolink stop --state-dir " + dir + " DATA-4711'",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("run stderr after up stopped lacks %q:\n%s", want, errOut)
		}
	}

	if code := r.interrupt(t); code != exitInterrupted {
		t.Errorf("interrupted run: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, r.stderr)
	}
	_, interrupted, found := strings.Cut(r.stderr.String(), "repolink: interrupted; ")
	if !found {
		t.Fatalf("run stderr has no interrupt message:\n%s", r.stderr)
	}
	if strings.Contains(interrupted, "repolink up keeps running") {
		t.Errorf("interrupt message claims that the stopped up runs DATA-4711:\n%s", interrupted)
	}
	if !strings.Contains(interrupted, "nothing runs it now") {
		t.Errorf("interrupt message does not say that nothing runs DATA-4711:\n%s", interrupted)
	}
}

// TestRunFollowsRestartedUp restarts repolink up while a run that handed
// its execution to up follows it and cannot take it over. The run must print
// that a process runs the execution again and end with the execution's
// result.
func TestRunFollowsRestartedUp(t *testing.T) {
	failTakeOver(t)
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir)
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, "../../examples/aws-privatelink.json")
	r.waitOutput(t, "execution DATA-4711 (run by repolink up)")
	up.stop()
	waitFor(t, "the run to report that nothing runs DATA-4711", func() bool {
		return strings.Contains(r.stderr.String(), "nothing runs it now")
	})

	// The default sandbox latency keeps the execution open for several
	// of the run's checks, so that a check finds it run again.
	startUp(t, dir)
	r.waitOutput(t, "status:           SUCCEEDED")
	if code := r.wait(t, "the summary"); code != exitOK {
		t.Errorf("run after up restarted: exit %d, want %d\nstderr:\n%s", code, exitOK, r.stderr)
	}
	if want := "a process runs execution DATA-4711 again"; !strings.Contains(r.stderr.String(), want) {
		t.Errorf("run stderr lacks %q:\n%s", want, r.stderr)
	}
}

// TestRedriveTeardownInterruptedExitStatus interrupts a redrive and a
// teardown while their executions run. Both must exit with the status of
// an interrupted command and print that the execution keeps its state.
func TestRedriveTeardownInterruptedExitStatus(t *testing.T) {
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) { doc["id"] = "INT-2" })

	// An interrupted run leaves INT-2 open, and stop makes it ABORTED, so
	// that it can be redriven.
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, file)
	r.waitOutput(t, "execution INT-2 (")
	if code := r.interrupt(t); code != exitInterrupted {
		t.Fatalf("interrupted run: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, r.stderr)
	}
	for _, step := range []struct {
		command string
		// header is the progress line that shows that the execution runs.
		header string
		// kept is the interrupt message that the execution keeps its state.
		kept string
	}{
		{command: "redrive", header: "execution INT-2 redrive 1 (", kept: "execution INT-2 keeps its state and stays open"},
		{command: "teardown", header: "execution INT-2-teardown (", kept: "execution INT-2-teardown keeps its state and stays open"},
	} {
		if code, out, errOut := runCLI(t, "stop", "--state-dir", dir, "INT-2"); code != exitOK {
			t.Fatalf("stop before the %s: exit %d\nstdout:\n%s\nstderr:\n%s", step.command, code, out, errOut)
		}
		r = startRun(t, step.command, "--sandbox", "--state-dir", dir, "INT-2")
		r.waitOutput(t, step.header)
		if code := r.interrupt(t); code != exitInterrupted {
			t.Errorf("interrupted %s: exit %d, want %d\nstderr:\n%s", step.command, code, exitInterrupted, r.stderr)
		}
		if !strings.Contains(r.stderr.String(), step.kept) {
			t.Errorf("interrupted %s stderr lacks %q:\n%s", step.command, step.kept, r.stderr)
		}
		// The advice to start up must work as printed, so it carries the
		// flags of the command that was interrupted.
		up := "start 'repolink up --sandbox --state-dir " + dir + "' on this state directory with " + envWebhookSecret + " set"
		if !strings.Contains(r.stderr.String(), up) {
			t.Errorf("interrupted %s stderr lacks %q:\n%s", step.command, up, r.stderr)
		}
	}
}
