package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// teardownMachine is the name of the teardown state machine in the store,
// the one that execview.Step maps the states of.
const teardownMachine = execview.Teardown

func teardownCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("teardown", "teardown [--sandbox] [--state-dir DIR] NAME|REQUEST_FILE", stderr)
	flags := addExecutionFlags(fs, "tear down in the local sandbox, where the execution's resources were built")
	addUsageNotes(fs, "NAME is a provision execution and must be the latest run of its request, because a teardown deletes\n"+
		"the request's resources, which its latest run built or adopted. A request file in place of NAME names that run.\n")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("teardown takes the name of a provision execution or a request file; got %d arguments", len(positional))
	}
	if err := checkNameGiven("teardown", positional[0], "or a request file"); err != nil {
		return err
	}
	if err := flags.validate(); err != nil {
		return err
	}
	if _, err := webhookSecretFromEnv(); err != nil {
		return err
	}
	name, err := commandExecutionOf(ctx, *flags.stateDir, nameArg(positional[0]), commandFlags(*flags.sandbox, *flags.stateDir), "teardown", stderr)
	if err != nil {
		return err
	}

	provisioned, dir, err := loadExecution(ctx, *flags.stateDir, name)
	if err != nil {
		return err
	}
	if err := checkStateMode(dir, *flags.sandbox); err != nil {
		return err
	}
	if provisioned.Machine == provisionMachine {
		teardownAgain := fmt.Sprintf("run 'repolink teardown%s %s' again", commandFlags(*flags.sandbox, *flags.stateDir), name)
		if err := checkDriven(ctx, *flags.stateDir, dir, provisioned, teardownAgain); err != nil {
			return err
		}
	}
	if err := checkTeardown(provisioned, commandFlags(false, *flags.stateDir)); err != nil {
		return err
	}
	// Checked here before a sandbox starts, and again when the teardown
	// starts.
	requestID := workflow.RequestID(provisioned.Input)
	if err := checkTeardownTarget(ctx, dir, provisioned, requestID, commandFlags(false, *flags.stateDir),
		commandFlags(*flags.sandbox, *flags.stateDir)); err != nil {
		return err
	}
	var doc workflow.Document
	if err := json.Unmarshal(provisioned.Input, &doc); err != nil {
		return fmt.Errorf("read input of execution %s: %w", name, err)
	}
	input, err := json.Marshal(workflow.Document{Request: doc.Request, Resources: workflow.Resources{}})
	if err != nil {
		return fmt.Errorf("encode teardown input: %w", err)
	}

	logger := flags.logger(stderr)
	progress := newProgress(stdout)
	progress.setFlags(*flags.sandbox, *flags.stateDir)
	local := runtimeOptions{
		dir:     dir,
		sandbox: *flags.sandbox,
		logger:  logger,
		instant: *flags.latency == "none",
		// Teardown reads only the Snowflake credentials.
		teardown: true,
	}

	// A running repolink up runs the teardown; otherwise this process runs
	// it until it closes.
	if serving, _ := serviceStatus(dir); serving {
		if err := checkServedExecutionRefs(dir, name, teardownMachine, doc.Request); err != nil {
			return err
		}
		eng, _, err := openEngineStore(dir)
		if err != nil {
			return err
		}
		defer eng.Close()
		watch := &runnerWatch{eng: eng, dir: dir, command: "teardown", progress: progress, stderr: stderr}
		watch.takeOver = newTakeOver(doc.Request, local, commandFlags(*flags.sandbox, *flags.stateDir))
		setup := followSetup{mode: "run by repolink up", watch: watch}
		_, err = startAndFollow(ctx, eng, dir, name, doc.Request.ID, input, setup, false, progress, stderr)
		return err
	}

	notifier := localNotifier{dir: dir, sandbox: *flags.sandbox, flags: commandFlags(*flags.sandbox, *flags.stateDir)}
	rt, mode, stop, err := serveLocally(ctx, doc.Request, local)
	if err != nil {
		return err
	}
	defer stop()
	setup := followSetup{mode: mode, started: func() { notifier.checkRequest(doc.Request, stderr) }}
	followed, followErr := startAndFollow(ctx, rt.engine, dir, name, doc.Request.ID, input, setup, true, progress, stderr)
	if followed != "" {
		if x, err := rt.engine.Describe(ctx, followed); err == nil {
			notifier.send(ctx, rt.engine, x, stderr)
		}
	}
	return followErr
}

// checkTeardown returns a usage error when an execution cannot be torn
// down: it is not a provision execution, or it is still running. stopFlags
// are the flags that the suggested stop command needs.
func checkTeardown(x engine.Execution, stopFlags string) error {
	switch {
	case x.Machine != provisionMachine:
		return usagef("execution %s is a %s execution; name the provision execution whose resources should go", x.Name, x.Machine)
	case x.Status == engine.StatusRunning:
		return usagef("execution %s is still running; wait for it to close, or stop it with 'repolink stop%s %s', before tearing it down",
			x.Name, stopFlags, x.Name)
	}
	return nil
}

// startAndFollow starts the next free teardown execution of a provision
// execution of request requestID, prints its progress until it closes and
// returns its name, or "" when it started none.
// When local is true, this process runs the engine, so a teardown that an
// earlier process left open resumes here and is followed in place of
// starting another. Otherwise repolink up runs it, and an open teardown is
// a usage error that names the history command. A running provision
// execution of the request, or a running teardown of another run of it, is
// a usage error that names it. dir is the state directory of eng, whose
// start lock of the request covers the checks and the start.
func startAndFollow(ctx context.Context, eng *engine.Engine, dir, provisioned, requestID string, input []byte, setup followSetup, local bool,
	progress *progress, stderr io.Writer) (string, error) {
	var name string
	err := withStartLock(ctx, dir, requestID, func() error {
		return retryTakenName(func() error {
			var err error
			name, err = startTeardown(ctx, eng, provisioned, requestID, input, local, progress.storeFlags, progress.flags, stderr)
			return err
		})
	})
	if err != nil {
		return "", err
	}
	if setup.started != nil {
		setup.started()
	}
	progress.begin(name, setup.mode)

	x := engine.Execution{Name: name, Machine: teardownMachine, Input: input}
	interrupted := keptOpenAdvice(x, provisioned, "", progress.flags, progress.storeFlags)
	return name, followToSummary(ctx, eng, name, 0, setup.watch, interrupted, progress, stderr)
}

// startTeardown starts the next free teardown execution of a provision
// execution of request requestID, or returns the open one as
// startAndFollow describes, and returns its name. flags are the flags of
// the stop and history commands that a usage error suggests, and runFlags
// those of a suggested teardown command.
func startTeardown(ctx context.Context, eng *engine.Engine, provisioned, requestID string, input []byte, local bool, flags, runFlags string,
	stderr io.Writer) (string, error) {
	runs, name, err := requestRuns(ctx, eng, teardownMachine, request.TeardownBase(provisioned), requestID)
	if err != nil {
		return "", err
	}
	open := openRun(runs)
	switch {
	case open != nil && !local:
		return "", usagef("teardown %s is already running; follow it with 'repolink history%s %s'", open.Name, flags, open.Name)
	case open != nil:
		fmt.Fprintf(stderr, "repolink: resuming teardown %s, which an earlier process left open\n", open.Name)
		return open.Name, nil
	}
	if err := checkTeardownStart(ctx, eng, requestID, "", flags); err != nil {
		return "", err
	}
	x, err := eng.Describe(ctx, provisioned)
	if err != nil {
		return "", fmt.Errorf("read execution %s: %w", provisioned, err)
	}
	if err := checkNotSuperseded(ctx, eng, x, requestID, runFlags); err != nil {
		return "", err
	}
	if _, err := eng.Start(ctx, teardownMachine, name, input); err != nil {
		return "", fmt.Errorf("start execution %s: %w", name, err)
	}
	return name, nil
}
