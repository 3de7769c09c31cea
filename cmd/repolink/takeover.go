package main

import (
	"context"
	"fmt"
	"io"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// takeOver is the state of a run, redrive or teardown command that runs,
// in this process, the execution it handed to repolink up once up no
// longer serves the state directory, such as after it was stopped or
// killed. The engine's runner lease decides which process runs the
// execution's steps. A killed up holds the lease until it expires, so
// this process starts the steps only then. An up started again on a
// directory without a sandbox waits for this process to release the lease.
type takeOver struct {
	// req is the request of the execution, whose credential references
	// and hosts the local runtime checks and serves.
	req request.Request
	// opts are the options of the local runtime, as the command would
	// open it without repolink up.
	opts     runtimeOptions
	notifier localNotifier

	rt   *runtime
	stop func()
	// tried is whether a take-over was tried since up was last seen
	// serving, so that a failed one is tried again only after up has come
	// and gone again.
	tried bool
}

// openTakeOver is the function that opens and starts the local runtime
// of a take-over. It is a variable so that tests can make a take-over fail.
var openTakeOver = serveLocally

// newTakeOver returns the take-over of an execution of req by a command
// that would run it with opts and send its notification with flags.
func newTakeOver(req request.Request, opts runtimeOptions, flags string) *takeOver {
	notifier := localNotifier{dir: opts.dir, sandbox: opts.sandbox, flags: flags}
	return &takeOver{req: req, opts: opts, notifier: notifier}
}

// running reports whether this process runs the execution.
func (t *takeOver) running() bool { return t != nil && t.rt != nil }

// due reports whether a take-over should be tried now, which is when up
// does not serve dir and no take-over was tried since up last served it.
func (t *takeOver) due(dir string) bool {
	if t == nil || t.rt != nil {
		return false
	}
	if serving, _ := serviceStatus(dir); serving {
		t.tried = false
		return false
	}
	return !t.tried
}

// start opens the local runtime, which starts the engine and the poller
// until ctx ends or end is called. In sandbox mode it takes the sandbox
// lock, so it fails while another process runs the sandbox.
func (t *takeOver) start(ctx context.Context) error {
	t.tried = true
	rt, _, stop, err := openTakeOver(ctx, t.req, t.opts)
	if err != nil {
		return err
	}
	t.rt = rt
	t.stop = stop
	return nil
}

// end sends the notification of the closed execution x when this process
// ran it, and then stops the local runtime. A nil t or one that never
// started does nothing.
func (t *takeOver) end(ctx context.Context, x engine.Execution, stderr io.Writer) {
	if !t.running() {
		return
	}
	if x.Status != engine.StatusRunning && x.Name != "" {
		t.notifier.send(ctx, t.rt.engine, x, stderr)
	}
	t.halt()
}

// halt stops the local runtime, which releases the runner lease and the
// sandbox lock, without a notification.
func (t *takeOver) halt() {
	if !t.running() {
		return
	}
	t.stop()
	t.rt = nil
	t.stop = nil
}

// takeOverIfDue starts running the execution x in this process when up no
// longer serves the directory, and reports whether this process runs it.
// It prints the take-over, or why it failed, on stderr.
func (w *runnerWatch) takeOverIfDue(ctx context.Context, x engine.Execution) bool {
	if !w.takeOver.due(w.dir) {
		return w.takeOver.running()
	}
	if err := w.takeOver.start(ctx); err != nil {
		fmt.Fprintf(w.stderr, "repolink: repolink up stopped, but this %s failed to take over execution %s: %v\n", w.command, x.Name, err)
		return false
	}
	fmt.Fprintf(w.stderr, "repolink: repolink up stopped, so this %s takes over execution %s and runs it in this process until it closes\n",
		w.command, x.Name)
	return true
}
