package exclusion

import (
	"context"
	"errors"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/workflow"
)

// checkLatestRun returns a Conflict error when the provision execution of
// task, which runs again after a redrive, is no longer the latest run of
// its request: a later provision execution or a teardown of the request
// started after it. The redrive would then build the older request again
// over what the later execution built, or build again what the teardown
// removed. repolink up rejects such a redrive for the same reason.
//
// Executions of any status count, as they do for repolink up. The check
// finds them with ListExecutions, so an execution that started moments ago
// can be missing, as for the list check.
func (c *Checker) checkLatestRun(ctx context.Context, task Task, prefix string) error {
	id := task.Request.ID
	if task.Execution == "" {
		return workflow.Invalid("check for later runs of request %s after a redrive: the task input has no execution name; "+
			"pass $$.Execution.Name as execution", id)
	}
	self, err := c.Executions.DescribeExecution(ctx, sfn.ExecutionARN(prefix+c.Provision, task.Execution))
	if err != nil {
		return laterCheckFailed(err)
	}

	later, err := c.latestAfter(ctx, prefix+c.Provision, id, self)
	if err != nil {
		return laterCheckFailed(err)
	}
	if later != nil {
		return workflow.Errorf(workflow.ErrConflict, "execution %s of request %s started after execution %s, "+
			"so this redrive of %s would build its older request again over what %s built; "+
			"redrive %s if it failed, or run the request again, which starts a new execution",
			later.Name, id, self.Name, self.Name, later.Name, later.Name)
	}

	if c.Teardown == "" {
		return nil
	}
	teardown, err := c.recordedTeardownAfter(ctx, id, self)
	if err == nil && teardown == nil {
		teardown, err = c.latestAfter(ctx, prefix+c.Teardown, id, self)
	}
	if err != nil {
		return laterCheckFailed(err)
	}
	if teardown != nil {
		return workflow.Errorf(workflow.ErrConflict, "teardown %s of request %s started after execution %s (%s), "+
			"so this redrive of %s would build again what the teardown removed; "+
			"run the request again to provision afresh, which starts a new execution",
			teardown.Name, id, self.Name, teardown.Status, self.Name)
	}
	return nil
}

// checkNoLaterProvision returns a Conflict error when a provision
// execution of the request of task started after the teardown of task,
// which runs again after a redrive. A teardown deletes the resources of the
// request, so the redrive would delete what that later execution built.
// repolink up rejects such a redrive for the same reason. Executions of any
// status count, and the check finds them with ListExecutions, as
// checkLatestRun does.
func (c *Checker) checkNoLaterProvision(ctx context.Context, task Task, prefix string) error {
	id := task.Request.ID
	if task.Execution == "" {
		return workflow.Invalid("check for later runs of request %s after a redrive: the task input has no execution name; "+
			"pass $$.Execution.Name as execution", id)
	}
	self, err := c.Executions.DescribeExecution(ctx, sfn.ExecutionARN(prefix+c.Teardown, task.Execution))
	if err != nil {
		return laterCheckFailed(err)
	}
	later, err := c.latestAfter(ctx, prefix+c.Provision, id, self)
	if err != nil {
		return laterCheckFailed(err)
	}
	if later == nil {
		return nil
	}
	return workflow.Errorf(workflow.ErrConflict, "execution %s of request %s started after teardown %s (%s), "+
		"so this redrive of %s would delete what %s built; "+
		"to remove the request's resources, start a new teardown with the request of %s",
		later.Name, id, self.Name, later.Status, self.Name, later.Name, later.Name)
}

// latestAfter returns the latest started execution of the state machine
// machineARN for the request with ID id that started after the execution
// x, or nil when none did. It reads the input of each execution of the
// machine that started after x with DescribeExecution. It relies on
// ListExecutions listing the latest started execution first, as the Step
// Functions API reference states, and stops at the first one that started
// no later than x.
func (c *Checker) latestAfter(ctx context.Context, machineARN, id string, x sfn.Execution) (*sfn.Execution, error) {
	token := ""
	for {
		page, next, err := c.Executions.ListExecutions(ctx, machineARN, sfn.ListOptions{
			MaxResults: sfn.MaxListResults, NextToken: token,
		})
		if err != nil {
			return nil, err
		}
		for _, summary := range page {
			if !summary.StartDate.After(x.StartDate) {
				return nil, nil
			}
			if summary.ARN == x.ARN {
				continue
			}
			later, err := c.Executions.DescribeExecution(ctx, summary.ARN)
			// An execution is not found once its history has aged out,
			// 90 days after it closed, and then cannot be read.
			if errors.Is(err, sfn.ErrExecutionNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if workflow.RequestID(later.Input) == id {
				return &later, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		token = next
	}
}

// recordedTeardownAfter returns the latest teardown that the run item of
// the request with ID id records when it started after the execution x,
// and nil otherwise or without a table. Unlike ListExecutions, the run item
// is read with strong consistency. It misses teardowns that started before
// teardowns recorded themselves, which latestAfter finds.
func (c *Checker) recordedTeardownAfter(ctx context.Context, id string, x sfn.Execution) (*sfn.Execution, error) {
	if c.Holders == nil {
		return nil, nil
	}
	read, err := c.Holders.ReadRunHolders(ctx, id)
	if err != nil || read.LatestTeardown == "" {
		return nil, err
	}
	teardown, err := c.Executions.DescribeExecution(ctx, read.LatestTeardown)
	if errors.Is(err, sfn.ErrExecutionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !teardown.StartDate.After(x.StartDate) {
		return nil, nil
	}
	return &teardown, nil
}

// laterCheckFailed returns the Transient error for a Step Functions call
// of checkLatestRun that failed, so that the state machine retries the
// task.
func laterCheckFailed(err error) error {
	return workflow.Errorf(workflow.ErrTransient, "check for later runs of the request after a redrive: %v", err)
}
