package exclusion

import (
	"context"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/reservations/backoff"
	"github.com/repolink/repolink/shared/workflow"
)

// Holders is the store of the run item of each request, the record of the
// executions that run it. *dynamo.Store implements it.
type Holders interface {
	// ReadRunHolders reads the item with a strongly consistent read.
	ReadRunHolders(ctx context.Context, requestID string) (dynamo.RunHolders, error)
	// WriteRunItem replaces the item only while it is as read found it,
	// and returns false when it changed since.
	WriteRunItem(ctx context.Context, requestID string, read dynamo.RunHolders, holders map[string]dynamo.RunHolder, latestTeardown string) (bool, error)
	// StartTeardownRecord stores now as the time from which teardowns
	// record themselves in their run items, unless a time is stored.
	StartTeardownRecord(ctx context.Context, now time.Time) error
}

var _ Holders = (*dynamo.Store)(nil)

// Machine kinds as the run item records them.
const (
	kindProvision = "provision"
	kindTeardown  = "teardown"
)

// NotFoundGrace is how long after a holder took the run item an execution
// that DescribeExecution does not find still counts as running. A new
// execution can be missing from DescribeExecution for a moment, because
// the Step Functions API is eventually consistent. Later, a holder that is
// not found is taken to be gone, such as one whose history aged out.
const NotFoundGrace = 5 * time.Minute

// maxTakeAttempts is the maximum number of read and conditional write
// rounds of one take. A round's write fails when another execution of the
// request wrote the item since the read.
const maxTakeAttempts = 10

// take records the execution of task as a holder of its request's run item,
// or returns the Conflict error about another holder that runs. Every
// execution of the request excludes every other one, provision executions
// and teardowns alike. A holder that no longer runs is dropped in the same
// conditional write, which is how a missed release heals.
//
// A teardown also records itself as the request's latest teardown in the
// same write, which the webhook reads in place of the teardown machine's
// execution history. Before its first such write, it stores the start of
// that record in the table.
func (c *Checker) take(ctx context.Context, task Task, kind string) error {
	if task.Execution == "" {
		return workflow.Invalid("check for other running executions of request %s: the task input has no execution name; "+
			"pass $$.Execution.Name as execution", task.Request.ID)
	}
	self := sfn.ExecutionARN(task.StateMachine, task.Execution)
	id := task.Request.ID
	if kind == kindTeardown && !c.teardownRecordStarted.Load() {
		if err := c.Holders.StartTeardownRecord(ctx, c.now()); err != nil {
			return checkFailed(err)
		}
		c.teardownRecordStarted.Store(true)
	}

	for attempt := range maxTakeAttempts {
		if err := backoff.Pause(ctx, attempt); err != nil {
			return checkFailed(err)
		}
		read, err := c.Holders.ReadRunHolders(ctx, id)
		if err != nil {
			return checkFailed(err)
		}

		holders := maps.Clone(read.Holders)
		dropped := false
		for arn, h := range read.Holders {
			if arn == self {
				continue
			}
			running, err := c.holderRuns(ctx, arn, h)
			if err != nil {
				return checkFailed(err)
			}
			if running {
				return holderConflict(kind, h.Machine, arn, id)
			}
			delete(holders, arn)
			dropped = true
		}

		latestTeardown := read.LatestTeardown
		if kind == kindTeardown {
			latestTeardown = self
		}
		mine, held := holders[self]
		if held && mine.RedriveCount >= task.RedriveCount && !dropped && latestTeardown == read.LatestTeardown {
			return nil
		}
		holders[self] = dynamo.RunHolder{Machine: kind, RedriveCount: task.RedriveCount, TakenAt: c.now()}
		written, err := c.Holders.WriteRunItem(ctx, id, read, holders, latestTeardown)
		if err != nil {
			return checkFailed(err)
		}
		if written {
			return nil
		}
	}
	return workflow.Errorf(workflow.ErrTransient, "check for other running executions of request %s: "+
		"the request's run item changed during each of %d attempts, because other executions of the request check at the same time",
		id, maxTakeAttempts)
}

// holderRuns reports whether the holder with execution ARN arn still runs.
// A status read earlier than the holder's take, which an eventually
// consistent DescribeExecution can return, counts as running.
func (c *Checker) holderRuns(ctx context.Context, arn string, h dynamo.RunHolder) (bool, error) {
	x, err := c.Executions.DescribeExecution(ctx, arn)
	if errors.Is(err, sfn.ErrExecutionNotFound) {
		return c.now().Sub(h.TakenAt) < NotFoundGrace, nil
	}
	if err != nil {
		return false, err
	}
	if x.Status == sfn.StatusRunning || x.Status == sfn.StatusPendingRedrive {
		return true, nil
	}
	// The holder took the item in a redrive that this read does not show
	// yet, so it runs again.
	return x.RedriveCount < h.RedriveCount, nil
}

// holderConflict returns the Conflict error of an execution of kind about
// the running holder arn of request id, in the words of the list check.
func holderConflict(kind, holderKind, arn, id string) error {
	x := &running{arn: arn, name: arn[strings.LastIndex(arn, ":")+1:], requestID: id}
	switch {
	case holderKind == kindTeardown && kind == kindTeardown:
		return orConflict(nil, x, workflow.TeardownRunsBeforeTeardown)
	case holderKind == kindTeardown:
		return orConflict(nil, x, teardownRuns)
	case kind == kindTeardown:
		return orConflict(nil, x, workflow.ProvisionRunsBeforeTeardown)
	}
	return orConflict(nil, x, workflow.ProvisionRunsBeforeProvision)
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
