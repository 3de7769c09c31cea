package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// followInterval is how often a command that waits for an execution reads
// its history, which another process may be writing.
const followInterval = 200 * time.Millisecond

func redriveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("redrive", "redrive [--sandbox] [--state-dir DIR] NAME|REQUEST_FILE", stderr)
	flags := addExecutionFlags(fs, "run the redriven steps against the local sandbox, as the execution's first run did")
	pollInterval := pollIntervalFlag(fs)
	name, err := parseNameOr(fs, args, nil, "or a request file")
	if err != nil {
		return err
	}
	if err := flags.validate(); err != nil {
		return err
	}
	if _, err := webhookSecretFromEnv(); err != nil {
		return err
	}
	if err := checkIntervalFlag(fs, "poll-interval", minInterval, maxInterval); err != nil {
		return err
	}
	if name, err = executionOf(ctx, *flags.stateDir, name, commandFlags(*flags.sandbox, *flags.stateDir), stderr); err != nil {
		return err
	}

	// Check that the execution can be redriven before starting anything.
	x, dir, err := loadExecution(ctx, *flags.stateDir, name)
	if err != nil {
		return err
	}
	if err := checkStateMode(dir, *flags.sandbox); err != nil {
		return err
	}
	if err := checkDrivenForRedrive(ctx, *flags.stateDir, dir, x); err != nil {
		return err
	}
	if err := checkRedrivable(x, commandFlags(false, *flags.stateDir), commandFlags(*flags.sandbox, *flags.stateDir)); err != nil {
		return err
	}
	if lacksRequest(x) {
		advice := nextAction(x, commandFlags(*flags.sandbox, *flags.stateDir), requestPlaceholder)
		return usagef("execution %s cannot be redriven: %s", name, advice)
	}
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		return fmt.Errorf("read input of execution %s: %w", name, err)
	}
	if err := checkNotTornDown(ctx, *flags.stateDir, *flags.sandbox, x, doc.Request.ID); err != nil {
		return err
	}

	logger := flags.logger(stderr)
	progress := newProgress(stdout)
	progress.setFlags(*flags.sandbox, *flags.stateDir)
	local := runtimeOptions{
		dir:     dir,
		sandbox: *flags.sandbox,
		logger:  logger,
		poll:    *pollInterval,
		instant: *flags.latency == "none",
		// A redriven teardown reads only the Snowflake credentials.
		teardown: x.Machine == teardownMachine,
	}

	// A running repolink up runs the redriven execution; otherwise this
	// process runs it until it closes.
	if serving, _ := serviceStatus(dir); serving {
		if err := checkServedExecutionRefs(dir, name, x.Machine, doc.Request); err != nil {
			return err
		}
		if err := checkServedExecutionDomains(dir, name, x.Machine, doc.Request); err != nil {
			return err
		}
		eng, _, err := openEngineStore(dir)
		if err != nil {
			return err
		}
		defer eng.Close()
		watch := &runnerWatch{eng: eng, dir: dir, command: "redrive", progress: progress, stderr: stderr}
		watch.takeOver = newTakeOver(doc.Request, local, commandFlags(*flags.sandbox, *flags.stateDir))
		return redriveAndFollow(ctx, eng, dir, name, followSetup{mode: "run by repolink up", watch: watch}, progress, stderr)
	}

	notifier := localNotifier{dir: dir, sandbox: *flags.sandbox, flags: commandFlags(*flags.sandbox, *flags.stateDir)}
	rt, mode, stop, err := serveLocally(ctx, doc.Request, local)
	if err != nil {
		return err
	}
	defer stop()
	setup := followSetup{mode: mode, started: func() { notifier.checkRequest(doc.Request, stderr) }}
	followErr := redriveAndFollow(ctx, rt.engine, dir, name, setup, progress, stderr)
	if closed, err := rt.engine.Describe(ctx, name); err == nil && closed.RedriveCount > x.RedriveCount {
		notifier.send(ctx, rt.engine, closed, stderr)
	}
	return followErr
}

// checkRedrivable returns a usage error with the reason an execution cannot
// be redriven and the alternative. stopFlags are the flags that the
// suggested stop command needs, and runFlags those of a suggested run.
func checkRedrivable(x engine.Execution, stopFlags, runFlags string) error {
	switch {
	case x.Status == engine.StatusRunning:
		return usagef("execution %s is still running (in %s); wait for it to close, or stop it with 'repolink stop%s %s', before redriving",
			x.Name, stepLabel(newView(x).CurrentStep, x.CurrentState), stopFlags, x.Name)
	case x.Status != engine.StatusSucceeded:
		return nil
	case x.Machine == provisionMachine:
		return usagef("execution %s succeeded, so there is nothing to redrive; to provision again, run its request again, which starts a new execution that adopts or updates what exists", x.Name)
	case x.Machine == teardownMachine:
		return usagef("teardown execution %s succeeded, so there is nothing to redrive: the resources that it deleted stay deleted. "+
			"To build them again, run 'repolink run%s %s' with the request file, which starts a new provision execution", x.Name, runFlags, requestPlaceholder)
	}
	return usagef("execution %s succeeded, so there is nothing to redrive", x.Name)
}

// checkNotTornDown returns a usage error when a teardown of the provision
// execution x has run or is running. The failed step would resume with the
// IDs of resources that the teardown deleted, and wait for them in vain. It
// also returns one when x and another execution of its request are a
// provision and a teardown, and the other one runs (checkRedriveConflicts).
// sandbox is the --sandbox flag of the command, for the suggested commands.
func checkNotTornDown(ctx context.Context, stateDir string, sandbox bool, x engine.Execution, requestID string) error {
	eng, _, err := readStoreFor(stateDir, x.Name)
	if err != nil {
		return err
	}
	defer eng.Close()
	return checkRedriveConflicts(ctx, eng, x, requestID, commandFlags(false, stateDir), commandFlags(sandbox, stateDir))
}

// teardownRedriveCheck returns the sfnapi.Options.RedriveCheck with which
// the Step Functions API of repolink up rejects the redrives that
// 'repolink redrive' rejects after or during a teardown, for the same
// reason. flags and runFlags are the flags of the commands that the reason
// suggests, as checkRedriveConflicts takes them.
func teardownRedriveCheck(eng *engine.Engine, flags, runFlags string) func(context.Context, engine.Execution) (string, error) {
	return func(ctx context.Context, x engine.Execution) (string, error) {
		if x.Machine != provisionMachine && x.Machine != teardownMachine {
			return "", nil
		}
		// A redrive reuses the input, so an input that the steps cannot
		// read fails the same way again.
		if lacksRequest(x) {
			return fmt.Sprintf("execution %s cannot be redriven: %s", x.Name, nextAction(x, flags, requestPlaceholder)), nil
		}
		var doc workflow.Document
		if err := json.Unmarshal(x.Input, &doc); err != nil {
			return "", fmt.Errorf("read input of execution %s: %w", x.Name, err)
		}
		err := checkRedriveConflicts(ctx, eng, x, doc.Request.ID, flags, runFlags)
		var usage *usageError
		if errors.As(err, &usage) {
			return usage.Error(), nil
		}
		return "", err
	}
}

// checkTeardowns returns a usage error when a teardown of the provision
// execution x in eng has run or is running.
func checkTeardowns(ctx context.Context, eng *engine.Engine, x engine.Execution, requestID, flags string) error {
	teardowns, _, err := requestRuns(ctx, eng, teardownMachine, request.TeardownBase(x.Name), requestID)
	if err != nil || len(teardowns) == 0 {
		return err
	}
	teardown := teardowns[len(teardowns)-1]
	if teardown.Status == engine.StatusRunning {
		return usagef("teardown %s of execution %s is running; follow it with 'repolink history%s %s', then run the request again to provision afresh",
			teardown.Name, x.Name, flags, teardown.Name)
	}
	return usagef("teardown %s of execution %s has run (%s), so the resources that a redrive would resume with may be gone; "+
		"run the request again to provision afresh, which starts a new execution", teardown.Name, x.Name, teardown.Status)
}

// followSetup is the configuration with which a redrive or teardown
// follows the execution that it starts.
type followSetup struct {
	// mode names who runs the execution, for the progress header.
	mode string
	// watch reports when nothing runs the execution any more. It is set
	// when repolink up runs the execution, and nil when this process does.
	watch *runnerWatch
	// started, when set, is called once the execution has started, so that
	// a command rejected by its start checks prints nothing about it.
	started func()
}

// redriveAndFollow redrives an execution, prints its progress from the
// history until it closes, and prints the summary. dir is the state
// directory of eng, whose start lock of the execution's request covers the
// checks of redriveChecked and the redrive.
func redriveAndFollow(ctx context.Context, eng *engine.Engine, dir, name string, setup followSetup, progress *progress, stderr io.Writer) error {
	events, err := eng.History(ctx, name)
	if err != nil {
		return err
	}
	var lastID int64
	if len(events) > 0 {
		lastID = events[len(events)-1].ID
	}

	x, err := redriveChecked(ctx, eng, dir, name, progress.storeFlags, progress.flags)
	if errors.Is(err, engine.ErrCannotRedrive) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	if setup.started != nil {
		setup.started()
	}
	progress.beginRedrive(name, x.RedriveCount, setup.mode)

	interrupted := keptOpenAdvice(x, teardownResumeTarget(ctx, eng, x), "", progress.flags, progress.storeFlags)
	return followToSummary(ctx, eng, name, lastID, setup.watch, interrupted, progress, stderr)
}

// followToSummary follows execution name from the history event after
// afterID until it closes, and prints its summary. A non-nil watch reports
// when nothing runs the execution, or takes it over, and writes the
// interrupt message. Without a watch, the interrupt message is interrupted.
func followToSummary(ctx context.Context, eng *engine.Engine, name string, afterID int64, watch *runnerWatch, interrupted string,
	progress *progress, stderr io.Writer) error {
	var check func(context.Context, engine.Execution)
	if watch != nil {
		check = watch.check
	}
	closed, err := follow(ctx, eng, name, afterID, progress.event, check)
	var takeOver *takeOver
	if watch != nil {
		takeOver = watch.takeOver
	}
	defer takeOver.halt()
	if errors.Is(err, context.Canceled) {
		if watch != nil {
			interrupted = watch.interruptedAdvice(ctx, name)
		}
		printText(stderr, "repolink: interrupted; %s\n", interrupted)
		return &interruptedError{}
	}
	if err != nil {
		return fmt.Errorf("wait for execution %s: %w", name, err)
	}
	ok := progress.summary(closed)
	takeOver.end(ctx, closed, stderr)
	if !ok {
		return &failedError{msg: "execution " + closed.Status}
	}
	return nil
}

// follow passes the execution's history events after afterID to fn in
// order until the execution closes, and returns the closed execution. It
// reads the store, so it also passes events that another process writes.
// A non-nil check gets the execution at each read while it runs.
func follow(ctx context.Context, eng *engine.Engine, name string, afterID int64, fn func(engine.Event),
	check func(context.Context, engine.Execution)) (engine.Execution, error) {
	ticker := time.NewTicker(followInterval)
	defer ticker.Stop()
	for {
		// Describe before History, so that the history read after a close
		// holds every event up to the close.
		x, err := eng.Describe(ctx, name)
		if err != nil {
			return x, err
		}
		events, err := eng.History(ctx, name)
		if err != nil {
			return x, err
		}
		for _, ev := range events {
			if ev.ID > afterID {
				fn(ev)
				afterID = ev.ID
			}
		}
		if x.Status != engine.StatusRunning {
			return x, nil
		}
		if check != nil {
			check(ctx, x)
		}
		select {
		case <-ctx.Done():
			return x, ctx.Err()
		case <-ticker.C:
		}
	}
}
