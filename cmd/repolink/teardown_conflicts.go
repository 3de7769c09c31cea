package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// A provision execution and a teardown of the same request must never run
// at the same time. The teardown deletes what the provision execution
// builds, and the provision execution then builds again after the teardown
// has closed, or waits for resources that are gone. Two teardowns of one
// request must not run together either, because both would delete the same
// resources and report the same deletions. The rule goes by
// request ID, not by execution name, because the network belongs to the
// request and not to one run, and an execution started through the Step
// Functions API can have any name. Every start and redrive checks it while
// holding the start lock of its request in the state directory
// (withStartLock), so that of two starts of one request that race, the
// second one finds the first one running.

// runningRunOf returns a running execution of machine for the request with
// ID id other than the execution named except, or nil when none runs, the
// latest started when several run. It finds the request's executions in
// the intake index by the request ID in their input, because a name does
// not show the machine or the request for certain, and reads only those.
func runningRunOf(ctx context.Context, eng *engine.Engine, machine, id, except string) (*engine.Execution, error) {
	// An execution whose input has no request ID fails at its first step.
	if id == "" {
		return nil, nil
	}
	all, err := requestExecutions(ctx, eng, machine, id)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Status == engine.StatusRunning && all[i].Name != except {
			return &all[i], nil
		}
	}
	return nil, nil
}

// checkNoProvisionRunning returns a usage error naming the running
// provision execution of request id, if there is one. flags are the flags
// of the suggested stop command.
func checkNoProvisionRunning(ctx context.Context, eng *engine.Engine, id, flags string) error {
	running, err := runningRunOf(ctx, eng, provisionMachine, id, "")
	if err != nil || running == nil {
		return err
	}
	return usagef("%s", workflow.ProvisionRunsBeforeTeardown(running.Name, id, stopCommandLine(flags, running.Name)))
}

// checkNoOtherProvisionRunning returns a usage error naming a running
// provision execution of request id other than name, if there is one.
// Two provision executions of one request would build the same resources.
func checkNoOtherProvisionRunning(ctx context.Context, eng *engine.Engine, id, name, flags string) error {
	running, err := runningRunOf(ctx, eng, provisionMachine, id, name)
	if err != nil || running == nil {
		return err
	}
	return usagef("%s", workflow.ProvisionRunsBeforeProvision(running.Name, id, stopCommandLine(flags, running.Name)))
}

// checkNoOtherTeardownRunning returns a usage error naming a running
// teardown of request id other than name, if there is one.
func checkNoOtherTeardownRunning(ctx context.Context, eng *engine.Engine, id, name, flags string) error {
	running, err := runningRunOf(ctx, eng, teardownMachine, id, name)
	if err != nil || running == nil {
		return err
	}
	return usagef("%s", workflow.TeardownRunsBeforeTeardown(running.Name, id, stopCommandLine(flags, running.Name)))
}

// checkTeardownStart returns a usage error when a teardown of request id
// named name must not start or be redriven now, because a provision
// execution or another teardown of the request runs.
func checkTeardownStart(ctx context.Context, eng *engine.Engine, id, name, flags string) error {
	if err := checkNoProvisionRunning(ctx, eng, id, flags); err != nil {
		return err
	}
	return checkNoOtherTeardownRunning(ctx, eng, id, name, flags)
}

// stopCommandLine returns the quoted repolink stop command, with flags, that
// stops the execution name.
func stopCommandLine(flags, name string) string {
	return fmt.Sprintf("'repolink stop%s %s'", flags, name)
}

// checkNoTeardownRunning returns a usage error naming the running teardown
// of request id, if there is one. next is what the caller is about to do,
// such as "running the request again". flags are the flags of the
// suggested stop command.
func checkNoTeardownRunning(ctx context.Context, eng *engine.Engine, id, next, flags string) error {
	running, err := runningRunOf(ctx, eng, teardownMachine, id, "")
	if err != nil || running == nil {
		return err
	}
	return usagef("teardown %s of request %s is still running; wait for it to close, or stop it with 'repolink stop%s %s', before %s",
		running.Name, id, flags, running.Name, next)
}

// latestTeardown returns the latest started teardown of the request with ID
// id, or nil when it has none. With after set, it returns nil unless that
// teardown started after the execution named after.
func latestTeardown(ctx context.Context, eng *engine.Engine, id, after string) (*engine.Execution, error) {
	var since time.Time
	if after != "" {
		x, err := eng.Describe(ctx, after)
		if err != nil {
			return nil, err
		}
		since = x.StartedAt
	}
	// ListMachine returns the latest started first, and reads only the
	// teardowns that started after since.
	teardowns, err := eng.ListMachine(ctx, teardownMachine, since)
	if err != nil {
		return nil, err
	}
	for i := range teardowns {
		if runOf(teardowns[i], teardownMachine, id) {
			return &teardowns[i], nil
		}
	}
	return nil, nil
}

// Teardown returns the name and status of the latest teardown of the
// request with ID requestID, as webhook.Executions describes.
func (s *serviceExecutions) Teardown(ctx context.Context, requestID, after string) (string, string, error) {
	x, err := latestTeardown(ctx, s.rt.engine, requestID, after)
	if err != nil || x == nil {
		return "", "", err
	}
	return x.Name, x.Status, nil
}

// Latest returns the name of the latest provision execution of req.ID and
// whether it ran req, as webhook.Executions describes. It finds executions
// that repolink run or the Step Functions API started too.
func (s *serviceExecutions) Latest(ctx context.Context, req request.Request) (string, bool, error) {
	x, err := latestExecution(ctx, s.rt.engine, provisionMachine, req.ID)
	if err != nil || x == nil {
		return "", false, err
	}
	ran, ok := provisionRequest(*x)
	return x.Name, ok && sameRequest(req, ran), nil
}

// checkRedriveConflicts returns a usage error when execution x of the
// request with ID id must not be redriven now. A provision execution must
// not be redriven when a teardown of it has run or runs (checkTeardowns), a
// teardown of its request runs, or a later run or teardown of its request
// started after it (checkLatestRun). A teardown must not be redriven while a
// provision execution or another teardown of its request runs, nor once a
// provision execution of its request started after it
// (checkNotSuperseded). flags are the flags of the suggested stop and
// history commands, and runFlags those of the suggested teardown and
// redrive commands, which also need --sandbox on a sandbox state directory.
func checkRedriveConflicts(ctx context.Context, eng *engine.Engine, x engine.Execution, id, flags, runFlags string) error {
	switch x.Machine {
	case provisionMachine:
		if err := checkTeardowns(ctx, eng, x, id, flags); err != nil {
			return err
		}
		if err := checkNoTeardownRunning(ctx, eng, id, "redriving "+x.Name, flags); err != nil {
			return err
		}
		if err := checkLatestRun(ctx, eng, x, id); err != nil {
			return err
		}
		return checkRedriveClash(ctx, eng, x, runFlags)
	case teardownMachine:
		if err := checkTeardownStart(ctx, eng, id, x.Name, flags); err != nil {
			return err
		}
		return checkNotSuperseded(ctx, eng, x, id, runFlags)
	}
	return nil
}

// checkRedriveClash returns a usage error when the request of the
// provision execution x names the Snowflake objects or the index host of
// another request's execution whose resources may exist, as
// checkObjectClash finds for a start. A redrive builds what a start would,
// such as after x stopped before any building step and so freed its
// names for the other request. flags are the flags of the suggested
// teardown and redrive commands.
func checkRedriveClash(ctx context.Context, eng *engine.Engine, x engine.Execution, flags string) error {
	req, ok := provisionRequest(x)
	if !ok {
		return nil
	}
	err := checkObjectClash(ctx, eng, req, flags)
	var conflict intakeConflict
	if errors.As(err, &conflict) {
		conflict.setFlags(flags)
		conflict.setRetry(retryRedrive)
		if clash, ok := conflict.(redriveClash); ok {
			clash.setRedriven(x.Name)
		}
		return usagef("%v", conflict)
	}
	return err
}

// redriveClash is an intake conflict whose message can give the advice
// for a redrive of the execution that setRedriven names.
type redriveClash interface {
	setRedriven(execution string)
}

var (
	_ redriveClash = (*objectClashError)(nil)
	_ redriveClash = (*hostClashError)(nil)
)

// checkLatestRun returns a usage error when a later provision execution or
// a teardown of the request with ID id started after the provision
// execution x. A redrive of x would build x's request again over what the
// later run built, or build again what the teardown removed.
func checkLatestRun(ctx context.Context, eng *engine.Engine, x engine.Execution, id string) error {
	run, err := laterRun(ctx, eng, x, id)
	if err != nil {
		return err
	}
	if run != nil {
		return usagef("execution %s of request %s started after execution %s, so a redrive of %s would build its older request again over what %s built; "+
			"redrive %s if it failed, or run the request again, which starts a new execution", run.Name, id, x.Name, x.Name, run.Name, run.Name)
	}
	teardown, err := latestTeardown(ctx, eng, id, x.Name)
	if err != nil || teardown == nil {
		return err
	}
	return usagef("teardown %s of request %s started after execution %s (%s), so a redrive of %s would build again what the teardown removed; "+
		"run the request again to provision afresh, which starts a new execution", teardown.Name, id, x.Name, teardown.Status, x.Name)
}

// laterRun returns the latest provision execution of the request with ID
// id that started after the execution x, or nil when none did.
func laterRun(ctx context.Context, eng *engine.Engine, x engine.Execution, id string) (*engine.Execution, error) {
	later, err := eng.ListMachine(ctx, provisionMachine, x.StartedAt)
	if err != nil {
		return nil, err
	}
	// ListMachine returns the latest started first.
	for i := range later {
		if later[i].Name != x.Name && runOf(later[i], provisionMachine, id) {
			return &later[i], nil
		}
	}
	return nil, nil
}

// checkNotSuperseded returns a usage error when a provision execution of
// the request with ID id started after x, a provision execution to tear
// down or a teardown to redrive. A teardown deletes the resources of the
// request, which the latest run built or adopted, and not those of one
// run. So a teardown of x would delete what the later run built, although
// the operator named an older execution. flags are the flags of the
// suggested teardown command, which also needs --sandbox on a sandbox
// state directory.
func checkNotSuperseded(ctx context.Context, eng *engine.Engine, x engine.Execution, id, flags string) error {
	later, err := laterRun(ctx, eng, x, id)
	if err != nil || later == nil {
		return err
	}
	if x.Machine == teardownMachine {
		return usagef("execution %s of request %s started after teardown %s and is %s, so a redrive of %s would delete what %s built; "+
			"to remove the request's resources, run 'repolink teardown%s %s', which starts a new teardown with the latest run's request",
			later.Name, id, x.Name, later.Status, x.Name, later.Name, flags, later.Name)
	}
	return usagef("execution %s is not the latest run of request %s: %s started after it and is %s. "+
		"A teardown deletes the request's resources, which are now those of %s, so name that run: 'repolink teardown%s %s'",
		x.Name, id, later.Name, later.Status, later.Name, flags, later.Name)
}

// startCheck returns the sfnapi.Options.StartCheck for the Step Functions
// API of repolink up. The check rejects a teardown of a request while a
// provision execution or another teardown of it runs. It rejects a provision execution while a
// teardown or another provision execution of its request runs, and one
// that changes the placement of an earlier run (placementConflict) or names
// the Snowflake objects of another request's run (checkObjectClash). A start of
// the running execution itself passes, so that StartExecution stays
// idempotent. flags are the flags of the suggested stop commands, and
// runFlags those of the suggested teardown and redrive commands, which also
// need --sandbox on a sandbox state directory.
func startCheck(eng *engine.Engine, flags, runFlags string) func(context.Context, string, string, json.RawMessage) (string, error) {
	return func(ctx context.Context, machine, name string, input json.RawMessage) (string, error) {
		id := workflow.RequestID(input)
		var err error
		switch machine {
		case teardownMachine:
			err = checkTeardownStart(ctx, eng, id, name, flags)
		case provisionMachine:
			err = checkNoTeardownRunning(ctx, eng, id, "starting a provision execution of the request", flags)
			if err == nil {
				err = checkNoOtherProvisionRunning(ctx, eng, id, name, flags)
			}
			if err == nil {
				err = checkPlacementOfInput(ctx, eng, input, flags)
			}
		}
		var usage *usageError
		if errors.As(err, &usage) {
			return usage.Error(), nil
		}
		var conflict intakeConflict
		if errors.As(err, &conflict) {
			conflict.setFlags(runFlags)
			conflict.setRetry(retryStartExecution)
			return conflict.Error(), nil
		}
		return "", err
	}
}

// checkPlacementOfInput runs checkIntake on the request in the execution
// input of a provision execution. An input without a request passes,
// because its first step fails.
func checkPlacementOfInput(ctx context.Context, eng *engine.Engine, input json.RawMessage, flags string) error {
	var doc workflow.Document
	if json.Unmarshal(input, &doc) != nil {
		return nil
	}
	return checkIntake(ctx, eng, doc.Request, flags)
}

// lockStartsOfInput returns the sfnapi.Options.LockStarts for the Step
// Functions API of repolink up, which takes the start locks in the state
// directory dir of the request in the execution input: those of its ID
// and of its claims (intakeLockKeys). An input without a readable request
// takes the lock of the ID that workflow.RequestID reads.
func lockStartsOfInput(dir string) func(context.Context, json.RawMessage) (func(), error) {
	return func(ctx context.Context, input json.RawMessage) (func(), error) {
		var doc workflow.Document
		if json.Unmarshal(input, &doc) != nil {
			return lockStarts(ctx, dir, workflow.RequestID(input))
		}
		return lockStartsWith(ctx, dir, doc.Request.ID, intakeLockKeys(doc.Request))
	}
}

// checkTeardownTarget runs, on the engine store in the state directory
// dir, the checks of startTeardown that do not depend on an open teardown.
// These are checkNoProvisionRunning and, unless a teardown of the request
// runs, checkNotSuperseded for the provision execution x. A running
// teardown is left to startTeardown, which resumes it or names it. flags
// and runFlags are as for startTeardown.
func checkTeardownTarget(ctx context.Context, dir string, x engine.Execution, id, flags, runFlags string) error {
	eng, _, err := readEngineStore(dir)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := checkNoProvisionRunning(ctx, eng, id, flags); err != nil {
		return err
	}
	running, err := runningRunOf(ctx, eng, teardownMachine, id, "")
	if err != nil || running != nil {
		return err
	}
	return checkNotSuperseded(ctx, eng, x, id, runFlags)
}

// teardownRunningError is the error of startExecution for a request whose
// teardown runs.
type teardownRunningError struct {
	requestID string
	teardown  string
}

func (e *teardownRunningError) Error() string {
	return fmt.Sprintf("teardown %s of request %s is still running", e.teardown, e.requestID)
}

// usage returns the usage error that run prints for e, with the engine
// store eng of the state directory dir. A teardown that no process runs,
// as after its command was interrupted, never closes by itself, so the
// error then names the commands that resume or drop it (undrivenAdvice).
// runFlags and storeFlags are the flags of the suggested commands, as
// undrivenAdvice takes them.
func (e *teardownRunningError) usage(ctx context.Context, eng *engine.Engine, dir, runFlags, storeFlags string) error {
	const reason = "because the teardown would delete what the run builds"
	if x, err := eng.Describe(ctx, e.teardown); err == nil && undriven(ctx, eng, dir, x) {
		return usagef("%s. Run the request again once the teardown has closed, %s",
			undrivenAdvice(x, teardownResumeTarget(ctx, eng, x), runFlags, storeFlags), reason)
	}
	return usagef("%v; wait for it to close, or stop it with 'repolink stop%s %s', before running the request again, %s",
		e, storeFlags, e.teardown, reason)
}

// redriveChecked redrives the execution name in eng unless
// checkRedriveConflicts rejects it, checking and redriving under the start
// locks of the execution's request and its claims in the state directory
// dir. flags and runFlags are the flags of the commands that a usage error
// suggests, as checkRedriveConflicts takes them.
func redriveChecked(ctx context.Context, eng *engine.Engine, dir, name, flags, runFlags string) (engine.Execution, error) {
	// The input, and so the request ID, of an execution never changes, so
	// it can be read before the lock. The status is read again under it.
	x, err := eng.Describe(ctx, name)
	if err != nil {
		return engine.Execution{}, err
	}
	id := workflow.RequestID(x.Input)
	// A provision redrive also takes the locks of its request's claims, as
	// a start does, so that no start with one of them comes between
	// checkRedriveClash and the redrive.
	var claims []string
	if req, ok := provisionRequest(x); ok {
		claims = intakeLockKeys(req)
	}
	var redriven engine.Execution
	err = withStartLocks(ctx, dir, id, claims, func() error {
		x, err := eng.Describe(ctx, name)
		if err != nil {
			return err
		}
		if err := checkRedriveConflicts(ctx, eng, x, id, flags, runFlags); err != nil {
			return err
		}
		redriven, err = eng.Redrive(ctx, name)
		return err
	})
	return redriven, err
}

// maxNameAttempts is how many times retryTakenName calls a start.
const maxNameAttempts = 5

// retryTakenName calls start, and calls it again, up to maxNameAttempts
// times in all, while it fails with engine.ErrExecutionAlreadyExists. A
// start holds only the start lock of its own request. So between its look
// for the next free run name and its start, a start of another request can
// take that name. For example, the second run of request DATA-1 and the
// first execution of request DATA-1-r2 both want the name DATA-1-r2. The
// next call finds the name taken and picks the one after it.
func retryTakenName(start func() error) error {
	for attempt := 1; ; attempt++ {
		err := start()
		if !errors.Is(err, engine.ErrExecutionAlreadyExists) || attempt == maxNameAttempts {
			return err
		}
	}
}
