package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/repolink/repolink/shared/engine"
)

// stopCommand aborts a running execution. It changes the store only, as
// the send-task commands do, so it works the same whether repolink up, a
// run or a redrive runs the execution, or nothing does.
func stopCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("stop", "stop [--state-dir DIR] [--error NAME] [--cause TEXT] [--output text|json] NAME", stderr)
	stateDir := stateDirFlag(fs)
	errName := fs.String("error", "", "error name recorded on the stopped execution, such as OperatorStopped")
	cause := fs.String("cause", "", "why the execution was stopped, for the execution history")
	output := outputFlag(fs)
	name, err := parseName(fs, args, output)
	if err != nil {
		return err
	}
	// The message starts with the member name, which is also the flag name.
	if err := engine.ValidateErrorCause(*errName, *cause); err != nil {
		return usagef("--%v; shorten it", err)
	}

	x, _, err := loadExecution(ctx, *stateDir, name)
	if err != nil {
		return err
	}
	if x.Status != engine.StatusRunning {
		return stopClosedError(x)
	}
	eng, dir, err := openStoreFor(*stateDir, name)
	if err != nil {
		return err
	}
	defer eng.Close()
	// The execution may close between Describe and Stop.
	if x, err = eng.Stop(ctx, name, *errName, *cause); errors.Is(err, engine.ErrNotRunning) {
		closed, describeErr := eng.Describe(ctx, name)
		if describeErr != nil {
			return describeErr
		}
		return stopClosedError(closed)
	}
	if err != nil {
		return err
	}

	v, err := describeExecution(ctx, eng, name)
	if err != nil {
		return err
	}
	next, err := closedAdvice(ctx, eng, dir, x, v, hintFlags(dir, *stateDir), commandFlags(false, *stateDir))
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeJSONTo(stdout, newStatusView(v, next, ""))
	}
	printStopped(stdout, x, v, next)
	return nil
}

func stopClosedError(x engine.Execution) error {
	return usagef("execution %s already closed with status %s, so there is nothing to stop", x.Name, x.Status)
}

// printStopped writes the outcome of stop and next, the commands that
// continue from it.
func printStopped(w io.Writer, x engine.Execution, v executionView, next string) {
	fmt.Fprintf(w, "execution %s stopped: status %s", x.Name, x.Status)
	if x.CurrentState != "" {
		fmt.Fprintf(w, " in %s", stepLabel(v.CurrentStep, x.CurrentState))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "next: %s\n", next)
}
