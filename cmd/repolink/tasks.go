package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/repolink/repolink/shared/engine"
)

// taskCommand runs one of send-task-success, send-task-failure and
// send-task-heartbeat. They change the store only, and the process that
// runs the execution applies the outcome (see queuedResultAdvice).
func taskCommand(ctx context.Context, op string, args []string, stdout, stderr io.Writer) error {
	synopsis := map[string]string{
		"send-task-success":   "send-task-success [--state-dir DIR] --output-json JSON TOKEN",
		"send-task-failure":   "send-task-failure [--state-dir DIR] --error NAME [--cause TEXT] TOKEN",
		"send-task-heartbeat": "send-task-heartbeat [--state-dir DIR] TOKEN",
	}[op]
	fs := newFlagSet(op, synopsis, stderr)
	stateDir := stateDirFlag(fs)
	var output, errName, cause *string
	switch op {
	case "send-task-success":
		output = fs.String("output-json", "", "the task's result, a JSON object (required). The provision machine's AwaitEndpoint task takes the poller's report, "+
			"such as "+awaitEndpointExample(""))
	case "send-task-failure":
		errName = fs.String("error", "", "the error name that Retry and Catch match, such as Rejected (required)")
		cause = fs.String("cause", "", "what went wrong, for the execution history")
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("%s takes one task token; got %d arguments", op, len(positional))
	}
	token := positional[0]
	if errName != nil && *errName == "" {
		return usagef("--error is required; pass the error name that the state machine catches, such as Rejected")
	}
	// The engine checks these limits too, but the flags are checked before
	// the store opens. The message starts with the member name, which is
	// also the flag name.
	if errName != nil && cause != nil {
		if err := engine.ValidateErrorCause(*errName, *cause); err != nil {
			return usagef("--%v; shorten it", err)
		}
	}

	task, found, err := checkWaitingTask(ctx, *stateDir, token, output)
	if err != nil {
		return err
	}

	eng, dir, err := openEngineStore(*stateDir)
	if err != nil {
		return err
	}
	defer eng.Close()
	switch op {
	case "send-task-success":
		err = eng.SendTaskSuccess(ctx, token, json.RawMessage(*output))
	case "send-task-failure":
		err = eng.SendTaskFailure(ctx, token, *errName, *cause)
	default:
		err = eng.SendTaskHeartbeat(ctx, token)
	}
	if err != nil {
		return tokenError(ctx, eng, err, task, found, dir, *stateDir)
	}

	runner := currentRunner(ctx, eng, dir)
	fmt.Fprintln(stdout, taskOutcome(op, task, found, runner, task.resumeTarget(ctx, eng), hintFlags(dir, *stateDir), commandFlags(false, *stateDir)))
	return nil
}

// checkWaitingTask checks the token of a send-task command and the
// --output-json of send-task-success, or nil for the other commands, and
// returns the task that findWaitingTask finds for the token. It reads the
// store in stateDir as it is, so that a command that stores nothing leaves
// a store of an older format for the older repolink that wrote it.
func checkWaitingTask(ctx context.Context, stateDir, token string, output *string) (waitingTask, bool, error) {
	eng, dir, err := readEngineStore(stateDir)
	noStore := errors.Is(err, errNoStore)
	if err != nil && !noStore {
		return waitingTask{}, false, err
	}

	// The task is looked up only to check the output and to name it, and
	// an unknown token is left to the engine, which rejects it.
	var task waitingTask
	found := false
	if !noStore {
		defer eng.Close()
		if task, found, err = findWaitingTask(ctx, eng, token); err != nil {
			return task, found, err
		}
	}
	if output != nil {
		if err := checkTaskOutput(*output, task, found); err != nil {
			return task, found, err
		}
	}
	if noStore {
		return task, found, noStoreError(dir, "no task waits for this token")
	}
	if err := eng.CheckTaskToken(ctx, token); err != nil {
		return task, found, tokenError(ctx, eng, err, task, found, dir, stateDir)
	}
	return task, found, nil
}

// tokenError returns the error of a send-task command whose token the
// engine store eng in the state directory dir rejected with err. task and
// found are the task that findWaitingTask found for the token.
func tokenError(ctx context.Context, eng *engine.Engine, err error, task waitingTask, found bool, dir, stateDir string) error {
	switch {
	case errors.Is(err, engine.ErrResultQueued):
		return usedTokenError(task, found, currentRunner(ctx, eng, dir), task.resumeTarget(ctx, eng), hintFlags(dir, stateDir), commandFlags(false, stateDir))
	case errors.Is(err, engine.ErrInvalidToken):
		return usagef("the task token is unknown, or its task already completed, timed out or was cancelled; run 'repolink history%s NAME' to find the current token",
			commandFlags(false, stateDir))
	case errors.Is(err, engine.ErrInvalidOutput):
		return usagef("%v", err)
	}
	return err
}

// checkTaskOutput checks the --output-json of send-task-success, against
// the task that the token belongs to when found is true. Every repolink
// task returns an object, and the next state reads its fields, so any
// other JSON value would fail the run one state later.
func checkTaskOutput(output string, task waitingTask, found bool) error {
	if output == "" {
		return usagef("--output-json is required; pass %s", expectedOutput(task, found))
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal([]byte(output), &object); err != nil || object == nil {
		return usagef("--output-json must be a JSON object; pass %s", expectedOutput(task, found))
	}
	if found {
		return task.checkOutput(json.RawMessage(output))
	}
	return nil
}

// expectedOutput returns the text that names the result task takes, with
// the poller's report for the task's cloud as the example for an
// AwaitEndpoint task. Without a task it names the report of every cloud.
func expectedOutput(task waitingTask, found bool) string {
	switch {
	case !found:
		return "the task's result as a JSON object. The provision machine's AwaitEndpoint task takes the poller's report, such as " +
			awaitEndpointExample("")
	case task.isAwaitEndpoint():
		return "the poller's report that the " + task.label() + " task of execution " + task.execution + " takes, such as " +
			awaitEndpointExample(task.route)
	}
	return "the result of the " + task.label() + " task of execution " + task.execution + " as a JSON object"
}

// taskRunner is the kind of process that runs an execution when a
// send-task command stores its result.
type taskRunner int

const (
	// runnerNone means that no process runs the execution, so the result
	// stays queued.
	runnerNone taskRunner = iota
	// runnerUp is the repolink up that serves the state directory.
	runnerUp
	// runnerProcess is a run, redrive or teardown process that holds the
	// engine's runner lease.
	runnerProcess
)

// currentRunner returns what runs the executions of the engine store eng
// in the state directory dir. A process counts only while it lives, so a
// killed repolink up or run counts as no process at once. A failed lease
// check also counts as no process.
func currentRunner(ctx context.Context, eng *engine.Engine, dir string) taskRunner {
	if serving, _ := serviceStatus(dir); serving {
		return runnerUp
	}
	if active, err := eng.RunnerActive(ctx); err == nil && active {
		return runnerProcess
	}
	return runnerNone
}

// taskOutcome returns the line that describes what a send-task command
// did. runner is what runs the execution now. When nothing runs it, the
// line ends with queuedResultAdvice for provisioned, runFlags and
// storeFlags.
func taskOutcome(op string, task waitingTask, found bool, runner taskRunner, provisioned, runFlags, storeFlags string) string {
	name := "the task"
	if found {
		name = "the " + task.label() + " task of execution " + task.execution
	}
	if op == "send-task-heartbeat" {
		return heartbeatOutcome(name, task, found)
	}

	outcome := name + " succeeded"
	if op == "send-task-failure" {
		outcome = name + " failed"
	}
	switch runner {
	case runnerUp:
		return outcome + "; repolink up, which serves this state directory, applies the result and continues the execution"
	case runnerProcess:
		return outcome + "; the repolink run, redrive or teardown process that runs this state directory's engine applies the result " +
			"and continues the execution"
	}
	return outcome + ", but nothing runs the execution now, so the result is queued. " +
		queuedResultAdvice(task.record(found), provisioned, runFlags, storeFlags)
}

// usedTokenError returns the error of a send-task command whose token
// already has a queued result. runner is what runs the execution now.
// provisioned and runFlags go to queuedResultAdvice when nothing runs it,
// and storeFlags are the flags of status and history.
func usedTokenError(task waitingTask, found bool, runner taskRunner, provisioned, runFlags, storeFlags string) error {
	name := "NAME"
	if found {
		name = task.execution
	}
	const used = "this task token was already used: a result for it was sent and is queued"
	status := fmt.Sprintf("'repolink status%s %s' shows it", storeFlags, name)
	switch runner {
	case runnerUp:
		return usagef("%s, and repolink up, which serves this state directory, applies it. %s", used, status)
	case runnerProcess:
		return usagef("%s, and the repolink run, redrive or teardown process that runs this state directory's engine applies it. %s",
			used, status)
	}
	return usagef("%s, but nothing runs the execution now. %s. %s", used, queuedResultAdvice(task.record(found), provisioned, runFlags, storeFlags), status)
}

// heartbeatOutcome returns the line that describes what a heartbeat
// changed. A heartbeat restarts the task's heartbeat timeout, and nothing
// else.
func heartbeatOutcome(name string, task waitingTask, found bool) string {
	const waits = "; the task still waits for send-task-success or send-task-failure"
	switch {
	case !found:
		return "heartbeat recorded: the heartbeat timeout of " + name + ", if it has one, starts again" + waits
	case task.heartbeatSeconds > 0:
		return fmt.Sprintf("heartbeat recorded: the heartbeat timeout of %s (%d seconds) starts again%s", name, task.heartbeatSeconds, waits)
	}
	return fmt.Sprintf("heartbeat recorded, but %s has no heartbeat timeout, so the heartbeat changes nothing%s", name, waits)
}
