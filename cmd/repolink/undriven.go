package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// undriven reports whether the running execution x in the engine store eng
// of the state directory dir has no process to run it: no repolink up
// serves dir, and no 'repolink run', redrive or teardown holds the
// engine's runner lease. That is the case after such a process was killed.
// A killed holder's lease stops counting at once (engine.RunnerActive).
//
// NOTE: on a platform without flock, a killed process's lease counts for
// up to its TTL (5 seconds by default) after its last renewal, so right
// after a kill this still reports a running process there.
func undriven(ctx context.Context, eng *engine.Engine, dir string, x engine.Execution) bool {
	if x.Status != engine.StatusRunning {
		return false
	}
	if serving, _ := serviceStatus(dir); serving {
		return false
	}
	active, err := eng.RunnerActive(ctx)
	return err == nil && !active
}

// undrivenAdvice returns how to continue the running execution x that no
// process runs. provisioned is the provision execution that 'repolink
// teardown' resumes a teardown x with (teardownResumeTarget), or "".
// runFlags are the flags of the suggested run, teardown and up commands,
// such as " --sandbox --state-dir DIR", and storeFlags those of history and
// stop, which take no --sandbox.
func undrivenAdvice(x engine.Execution, provisioned, runFlags, storeFlags string) string {
	return fmt.Sprintf("%s. To resume it, %s. To drop it, stop it with 'repolink stop%s %s'",
		undrivenReason(x), resumeAdvice(x, provisioned, "", runFlags, storeFlags), storeFlags, x.Name)
}

// undrivenReason returns why the running execution x, which no process
// runs, does not close by itself.
func undrivenReason(x engine.Execution) string {
	return fmt.Sprintf("execution %s is open (in %s), but nothing runs it now: no repolink up serves this state directory, "+
		"and the process that ran it was stopped or killed", x.Name, stepLabel(newView(x).CurrentStep, x.CurrentState))
}

// teardownResumeTarget returns the provision execution that 'repolink
// teardown' takes to resume the teardown x: the latest run of x's request,
// when x is one of that run's teardowns. It returns "" for another kind of
// execution, and for a teardown that the command would not find, such as
// one that the Step Functions API started under another name.
func teardownResumeTarget(ctx context.Context, eng *engine.Engine, x engine.Execution) string {
	if x.Machine != teardownMachine {
		return ""
	}
	id := workflow.RequestID(x.Input)
	latest, _, err := latestRun(ctx, eng, id)
	if err != nil || latest == nil {
		return ""
	}
	teardowns, _, err := requestRuns(ctx, eng, teardownMachine, request.TeardownBase(latest.Name), id)
	if err != nil {
		return ""
	}
	for _, teardown := range teardowns {
		if teardown.Name == x.Name {
			return latest.Name
		}
	}
	return ""
}

// checkDriven returns a usage error with undrivenAdvice when the running
// execution x in the state directory dir has no process to run it, so
// that a command which waits for x to close says how to close it. action
// is the command to repeat once x is closed, such as "run 'repolink
// redrive NAME' again".
func checkDriven(ctx context.Context, stateDir, dir string, x engine.Execution, action string) error {
	provisioned, found, err := findUndriven(ctx, stateDir, dir, x)
	if err != nil || !found {
		return err
	}
	return usagef("%s, then %s", undrivenAdvice(x, provisioned, hintFlags(dir, stateDir), commandFlags(false, stateDir)), action)
}

// checkDrivenForRedrive is checkDriven for 'repolink redrive' of x. A stop
// followed by a redrive resumes x from the step it stopped in, so the
// error offers that as a way to resume x, and a stop alone as the way to
// drop it.
func checkDrivenForRedrive(ctx context.Context, stateDir, dir string, x engine.Execution) error {
	provisioned, found, err := findUndriven(ctx, stateDir, dir, x)
	if err != nil || !found {
		return err
	}
	runFlags, storeFlags := hintFlags(dir, stateDir), commandFlags(false, stateDir)
	stop := fmt.Sprintf("'repolink stop%s %s'", storeFlags, x.Name)
	return usagef("%s. To resume it, %s, or stop it with %s and then run 'repolink redrive%s %s' again, "+
		"which resumes it from the step it stopped in. To drop it, stop it with %s and do not redrive it",
		undrivenReason(x), resumeAdvice(x, provisioned, "", runFlags, storeFlags), stop, runFlags, x.Name, stop)
}

// findUndriven reports whether the running execution x in the state
// directory dir has no process to run it (undriven), and returns the
// provision execution that 'repolink teardown' resumes a teardown x with
// (teardownResumeTarget). stateDir is the --state-dir flag.
func findUndriven(ctx context.Context, stateDir, dir string, x engine.Execution) (provisioned string, found bool, err error) {
	if x.Status != engine.StatusRunning {
		return "", false, nil
	}
	eng, _, err := readStoreFor(stateDir, x.Name)
	if err != nil {
		return "", false, err
	}
	defer eng.Close()
	if !undriven(ctx, eng, dir, x) {
		return "", false, nil
	}
	return teardownResumeTarget(ctx, eng, x), true, nil
}

// runnerWatch is the check, repeated while a run, redrive or teardown
// follows the execution it handed to repolink up, that reports on stderr
// when no process runs the execution any more because up stopped. It also
// reports when a process, such as a restarted up, runs it again. With a
// takeOver, the command runs the execution itself once up has stopped,
// and reports only when it cannot.
type runnerWatch struct {
	eng *engine.Engine
	dir string
	// command is the command that follows the execution, such as "run",
	// for its messages.
	command  string
	progress *progress
	stderr   io.Writer
	// undriven is whether the last check found no process to run the
	// execution, so that each change is reported once.
	undriven bool
	// takeOver, when set, runs the execution in this process once up has
	// stopped.
	takeOver *takeOver
}

// check takes the running execution x over when up has stopped, and
// otherwise reports a change of whether a process runs it.
func (w *runnerWatch) check(ctx context.Context, x engine.Execution) {
	if w.takeOverIfDue(ctx, x) {
		w.undriven = false
		return
	}
	now := undriven(ctx, w.eng, w.dir, x)
	if now == w.undriven {
		return
	}
	w.undriven = now
	if now {
		fmt.Fprintf(w.stderr, "repolink: %s. This %s goes on following it and shows its progress once a process resumes it\n",
			undrivenAdvice(x, teardownResumeTarget(ctx, w.eng, x), w.progress.flags, w.progress.storeFlags), w.command)
		return
	}
	fmt.Fprintf(w.stderr, "repolink: a process runs execution %s again\n", x.Name)
}

// interruptedAdvice returns what happens to execution name after the
// command stops following it, by whether repolink up or another process
// runs it. ctx is the interrupted context, so the store is read without
// its cancellation.
func (w *runnerWatch) interruptedAdvice(ctx context.Context, name string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// A runtime of this process that took the execution over holds the
	// runner lease until it has stopped.
	w.takeOver.halt()
	followHint := fmt.Sprintf("Follow it with 'repolink status%s %s'", w.progress.storeFlags, name)
	if serving, _ := serviceStatus(w.dir); serving {
		return fmt.Sprintf("execution %s keeps its state, and repolink up keeps running it. %s", name, followHint)
	}
	x, err := w.eng.Describe(ctx, name)
	if err != nil || x.Status != engine.StatusRunning {
		return fmt.Sprintf("execution %s keeps its state. %s", name, followHint)
	}
	if undriven(ctx, w.eng, w.dir, x) {
		return undrivenAdvice(x, teardownResumeTarget(ctx, w.eng, x), w.progress.flags, w.progress.storeFlags)
	}
	return fmt.Sprintf("execution %s keeps its state, and another repolink process runs it. %s", name, followHint)
}
