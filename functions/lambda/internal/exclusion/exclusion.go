// Package exclusion keeps two executions of the same request, provision
// executions or teardowns, from running at the same time on Step
// Functions, where nothing locks a start as the start lock of repolink up
// does.
//
// Each execution checks for the others after it has become RUNNING itself:
// on its first task, and on every task after a redrive, because a redrive
// resumes at the failed state and skips the first task. The check goes by
// the request ID in the execution input, not by execution name, because an
// execution started by hand can have any name. After a redrive, a
// provision execution must also still be its request's latest run, so that
// it does not build an older request over a later execution or a teardown
// (checkLatestRun).
//
// With a DynamoDB table (Checker.Holders), the check takes the request's
// run item with a conditional write, which DynamoDB decides with strong
// consistency. Of two executions that overlap, only the first to write
// goes on, and the other fails with Conflict. A holder that has closed
// without releasing the item is dropped by the next check that finds it
// (see take).
//
// Without a table, the check lists the running executions of the state
// machines. Of two executions that overlap, the one that checks second
// finds the other one running and fails with Conflict, and sometimes both
// do.
//
// NOTE: without a table the guard has a gap. ListExecutions and
// DescribeExecution are eventually consistent, as the Step Functions API
// reference states, so an execution that started moments before a check
// can be missing from the list, and two starts of one request within that
// delay can both pass.
package exclusion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/repolink/repolink/functions/internal/jsonerror"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/workflow"
)

// Executions is the part of the Step Functions adapter that Checker calls.
// *sfn.Client implements it.
type Executions interface {
	ListExecutions(ctx context.Context, stateMachineARN string, opts sfn.ListOptions) ([]sfn.ExecutionSummary, string, error)
	DescribeExecution(ctx context.Context, executionARN string) (sfn.Execution, error)
}

var _ Executions = (*sfn.Client)(nil)

// Task is the part of a task input that the check reads. The state machines
// pass execution, redrive_count and state_machine from the context object.
type Task struct {
	Request struct {
		ID string `json:"id"`
	} `json:"request"`
	// Execution is the execution name.
	Execution string `json:"execution"`
	// RedriveCount counts the redrives of the execution so far.
	RedriveCount int `json:"redrive_count"`
	// StateMachine is the ARN of the execution's state machine.
	StateMachine string `json:"state_machine"`
}

// Checker rejects an execution of the provision or the teardown machine
// while another execution of either machine for the same request runs,
// and a redriven provision execution that a later run or teardown of its
// request followed. These are the rules that repolink up applies when it starts or
// redrives an execution.
type Checker struct {
	// Executions reads the running executions for the list check and,
	// with Holders, the status of a run item's holders.
	Executions Executions
	// Holders is the store of run items, or nil for the list check.
	Holders Holders
	// Now is time.Now when nil.
	Now func() time.Time
	// Provision and Teardown are the names of the two state machines, such
	// as repolink-provision. Teardown is "" when the stack has no teardown
	// machine. The checks find the other machine's ARN by putting its name
	// in place of the name in the task's state machine ARN.
	Provision string
	Teardown  string

	// teardownRecordStarted is set once StartTeardownRecord has succeeded,
	// so that later teardowns skip the write.
	teardownRecordStarted atomic.Bool
}

// Check returns a Conflict error when the execution of task must not go on,
// because another execution of its request runs, or, after a redrive of a
// provision execution, because a later provision execution or a teardown
// of its request started after it (checkLatestRun), or, after a redrive of
// a teardown, because a provision execution of its request started after
// it (checkNoLaterProvision). An execution of a machine that is neither
// Provision nor Teardown, such as the egress refresh machine, and a task
// input without a state machine ARN, such as a step invoked by hand, are
// not checked.
func (c *Checker) Check(ctx context.Context, task Task) error {
	prefix, machine, ok := splitMachineARN(task.StateMachine)
	if !ok || task.Request.ID == "" {
		return nil
	}
	if err := c.checkRunning(ctx, task, prefix, machine); err != nil {
		return err
	}
	// A redriven provision execution must also still be its request's
	// latest run, and a redriven teardown must not delete what a later run
	// built.
	switch {
	case machine == c.Provision && task.RedriveCount > 0:
		return c.checkLatestRun(ctx, task, prefix)
	case machine == c.Teardown && task.RedriveCount > 0:
		return c.checkNoLaterProvision(ctx, task, prefix)
	}
	return nil
}

// checkRunning returns a Conflict error when another execution of the
// request of task runs, for an execution of the state machine machine
// whose ARN starts with prefix.
func (c *Checker) checkRunning(ctx context.Context, task Task, prefix, machine string) error {
	id := task.Request.ID
	if c.Holders != nil {
		switch machine {
		case c.Provision:
			return c.take(ctx, task, kindProvision)
		case c.Teardown:
			return c.take(ctx, task, kindTeardown)
		}
		return nil
	}

	// Each execution first checks the other machine, then its own machine
	// for an execution other than itself.
	var other string
	var otherRuns, sameRuns func(execution, requestID, stop string) string
	switch machine {
	case c.Provision:
		other, otherRuns, sameRuns = c.Teardown, teardownRuns, workflow.ProvisionRunsBeforeProvision
	case c.Teardown:
		other, otherRuns, sameRuns = c.Provision, workflow.ProvisionRunsBeforeTeardown, workflow.TeardownRunsBeforeTeardown
	default:
		return nil
	}
	// An empty name is a machine that the stack does not have.
	if other != "" {
		x, err := c.runningOf(ctx, prefix+other, id, "")
		if err != nil || x != nil {
			return orConflict(err, x, otherRuns)
		}
	}
	x, err := c.runningOf(ctx, prefix+machine, id, task.Execution)
	if err != nil || x != nil {
		return orConflict(err, x, sameRuns)
	}
	return nil
}

// teardownRuns returns the reason to reject a provision execution while a
// teardown of its request runs. Unlike the reasons in workflow, it differs
// from repolink up's, which names what the caller is about to do.
func teardownRuns(execution, requestID, stop string) string {
	return fmt.Sprintf("teardown %s of request %s is still running; wait for it to close, or stop it with %s, "+
		"then start the provision again, because the teardown deletes what this execution builds",
		execution, requestID, stop)
}

// running is a running execution of a request, as runningOf found it.
type running struct {
	arn       string
	name      string
	requestID string
}

// orConflict returns err when it is set, and otherwise the Conflict error
// about x, with the reason that reason returns for x's name, request ID and
// the command that stops it.
func orConflict(err error, x *running, reason func(execution, requestID, stop string) string) error {
	if err != nil {
		return err
	}
	stop := fmt.Sprintf("'aws stepfunctions stop-execution --execution-arn %s'", x.arn)
	return workflow.Errorf(workflow.ErrConflict, "%s", reason(x.name, x.requestID, stop))
}

// runningOf returns a running execution of the state machine machineARN for
// the request with ID id other than the execution named except, or nil when
// none runs. It reads the input of every running execution of the machine,
// because a name does not show the request for certain.
func (c *Checker) runningOf(ctx context.Context, machineARN, id, except string) (*running, error) {
	token := ""
	for {
		page, next, err := c.Executions.ListExecutions(ctx, machineARN, sfn.ListOptions{
			Status: sfn.StatusRunning, MaxResults: sfn.MaxListResults, NextToken: token,
		})
		if err != nil {
			return nil, checkFailed(err)
		}
		for _, summary := range page {
			if summary.Name == except {
				continue
			}
			x, err := c.Executions.DescribeExecution(ctx, summary.ARN)
			if errors.Is(err, sfn.ErrExecutionNotFound) {
				continue
			}
			if err != nil {
				return nil, checkFailed(err)
			}
			if x.Status == sfn.StatusRunning && workflow.RequestID(x.Input) == id {
				return &running{arn: x.ARN, name: x.Name, requestID: id}, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		token = next
	}
}

// checkFailed returns the Transient error for a Step Functions call of the
// check that failed, so that the state machine retries the task.
func checkFailed(err error) error {
	return workflow.Errorf(workflow.ErrTransient, "check for other running executions of the request: %v", err)
}

// splitMachineARN splits a state machine ARN such as
// arn:aws:states:us-west-2:123456789012:stateMachine:repolink-provision
// into the part up to the name and the name.
func splitMachineARN(arn string) (prefix, name string, ok bool) {
	const marker = ":stateMachine:"
	i := strings.LastIndex(arn, marker)
	if !strings.HasPrefix(arn, "arn:") || i < 0 || i+len(marker) == len(arn) {
		return "", "", false
	}
	return arn[:i+len(marker)], arn[i+len(marker):], true
}

// Handler runs one step on a JSON task input and returns its JSON result.
type Handler = func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// Wrap returns a handler that calls Check before step and fails with
// Check's error without calling step. It checks on every call when first
// is true, for the first task of a state machine, and otherwise only on
// calls after a redrive (redrive_count above 0).
func (c *Checker) Wrap(first bool, step Handler) Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var task Task
		if err := json.Unmarshal(input, &task); err != nil {
			return nil, workflow.Invalid("decode task input: the input %s; send a JSON object with request, resources and execution, "+
				"as the state machine passes to the task", jsonerror.Describe(err))
		}
		if first || task.RedriveCount > 0 {
			if err := c.Check(ctx, task); err != nil {
				return nil, err
			}
		}
		return step(ctx, input)
	}
}
