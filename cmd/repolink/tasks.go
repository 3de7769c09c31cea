package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/repolink/repolink/shared/engine"
)

// taskCommand runs one of send-task-success, send-task-failure and
// send-task-heartbeat. They change the store only; the Run loop of
// repolink up, or of the next run or redrive, applies the outcome.
func taskCommand(ctx context.Context, op string, args []string, stdout, stderr io.Writer) error {
	synopsis := map[string]string{
		"send-task-success":   "send-task-success [--state-dir DIR] [--output-json JSON] TOKEN",
		"send-task-failure":   "send-task-failure [--state-dir DIR] --error NAME [--cause TEXT] TOKEN",
		"send-task-heartbeat": "send-task-heartbeat [--state-dir DIR] TOKEN",
	}[op]
	fs := newFlagSet(op, synopsis, stderr)
	stateDir := stateDirFlag(fs)
	var output, errName, cause *string
	switch op {
	case "send-task-success":
		output = fs.String("output-json", "{}", "the task's result, a JSON object")
	case "send-task-failure":
		errName = fs.String("error", "", "the error name that Retry and Catch match, such as Rejected")
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
	// Every repolink task returns an object, and the next state reads its
	// fields, so any other JSON value would fail the run one state later.
	if output != nil {
		var object map[string]json.RawMessage
		if err := json.Unmarshal([]byte(*output), &object); err != nil || object == nil {
			return usagef("--output-json must be a JSON object, such as '{\"status\": \"available\"}'")
		}
	}
	if errName != nil && *errName == "" {
		return usagef("--error is required; pass the error name that the state machine catches, such as Rejected")
	}
	// Step Functions limits, which the engine enforces too.
	if errName != nil && utf8.RuneCountInString(*errName) > 256 {
		return usagef("--error has more than 256 characters; use a short error name")
	}
	if cause != nil && utf8.RuneCountInString(*cause) > 32768 {
		return usagef("--cause has more than 32768 characters; shorten it")
	}

	eng, dir, err := openEngineStore(*stateDir)
	if errors.Is(err, errNoStore) {
		return usagef("%s has no executions, so no task waits for a token; check --state-dir", dir)
	}
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
	switch {
	case errors.Is(err, engine.ErrInvalidToken):
		return usagef("the task token is unknown, or its task already completed, timed out or was cancelled; run 'repolink history%s NAME' to find the current token",
			commandFlags(false, *stateDir))
	case errors.Is(err, engine.ErrInvalidOutput):
		return usagef("%v", err)
	case err != nil:
		return err
	}

	if serving, _ := serviceStatus(dir); serving {
		fmt.Fprintln(stdout, "task updated; repolink up continues the execution")
	} else {
		fmt.Fprintln(stdout, "task updated; the execution continues when repolink up runs, or with the next run or redrive")
	}
	return nil
}
