package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/workflow"
)

// RunItems reads the run item of a request, in which each running
// execution of the request records itself on its first task, and each
// teardown also records itself as the request's latest teardown.
// *dynamo.Store implements it.
type RunItems interface {
	// ReadRunHolders reads the item with a strongly consistent read.
	ReadRunHolders(ctx context.Context, requestID string) (dynamo.RunHolders, error)
	// TeardownRecordStart returns the time from which teardowns record
	// themselves in the run items, or the zero time before the first one.
	TeardownRecordStart(ctx context.Context) (time.Time, error)
}

var _ RunItems = (*dynamo.Store)(nil)

// unrecordedTeardowns bounds how long after the start of the teardown
// record a teardown that started before it can still be in the execution
// history. A Standard execution runs for at most one year, and Step
// Functions keeps it for 90 days after it closes (Step Functions Developer
// Guide, "Execution guarantees"). A redriven teardown records itself again
// in its redrive, so it needs no longer bound.
const unrecordedTeardowns = (365 + 90) * 24 * time.Hour

// teardownKind is the machine kind of a teardown in a run item.
const teardownKind = "teardown"

// teardown is a teardown execution of a request.
type teardown struct {
	name      string
	status    string
	startDate time.Time
}

func teardownOf(x sfn.Execution) *teardown {
	return &teardown{name: x.Name, status: x.Status, startDate: x.StartDate}
}

// teardownMachineARN returns the ARN of the teardown machine, from the
// provision machine's ARN with the teardown machine's name in place of its
// own, or "" when no teardown machine is configured.
func (w *Webhook) teardownMachineARN() string {
	if w.TeardownMachine == "" {
		return ""
	}
	i := strings.LastIndex(w.StateMachineARN, ":")
	return w.StateMachineARN[:i+1] + w.TeardownMachine
}

// latestTeardown returns the latest started teardown of the request with ID
// id, or nil when it has none or no teardown machine is configured.
//
// With RunItems, the request's run item is read with strong consistency.
// A teardown that holds the item and runs is returned first. Otherwise the
// item names the latest teardown that took it, because every teardown
// records itself there on its first task once the table has a teardown
// record start. Only teardowns that started before that start can be
// missing from the item, so the execution history is read for those alone,
// and not at all once they have left the history (unrecordedTeardowns).
//
// Without RunItems or a record start, the teardown machine's executions are
// listed, newest first, and described until one of the request.
//
// NOTE: a teardown counts only once its first task has taken the run item.
// One that failed its check, or has not reached its first task yet, is not
// the latest teardown, because it has deleted nothing.
func (w *Webhook) latestTeardown(ctx context.Context, id string) (*teardown, error) {
	machine := w.teardownMachineARN()
	if machine == "" {
		return nil, nil
	}
	if w.RunItems == nil {
		return w.scanTeardowns(ctx, machine, id, time.Time{})
	}
	item, err := w.RunItems.ReadRunHolders(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run item of request %s: %w", id, err)
	}
	if x, err := w.runningTeardownHolder(ctx, id, item); err != nil || x != nil {
		return x, err
	}
	since, err := w.RunItems.TeardownRecordStart(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the teardown record start for request %s: %w", id, err)
	}
	if since.IsZero() {
		return w.scanTeardowns(ctx, machine, id, time.Time{})
	}

	recorded, err := w.describeTeardown(ctx, id, item.LatestTeardown)
	if err != nil {
		return nil, err
	}
	// Every teardown that started after the record start and took the
	// item is recorded, so a recorded one from then on is the latest.
	if recorded != nil && !recorded.startDate.Before(since) {
		return recorded, nil
	}
	if w.now().After(since.Add(unrecordedTeardowns)) {
		return recorded, nil
	}
	// The scan also finds a recorded teardown that started before the
	// record start, so its result is at least as new as recorded.
	older, err := w.scanTeardowns(ctx, machine, id, since)
	if err != nil || older != nil {
		return older, err
	}
	return recorded, nil
}

// describeTeardown returns the teardown with execution ARN arn, or nil when
// arn is "" or the execution has left the history.
func (w *Webhook) describeTeardown(ctx context.Context, id, arn string) (*teardown, error) {
	if arn == "" {
		return nil, nil
	}
	x, err := w.Executions.DescribeExecution(ctx, arn)
	if errors.Is(err, sfn.ErrExecutionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read teardown %s of request %s: %w", arn, id, err)
	}
	return teardownOf(x), nil
}

// scanTeardowns returns the latest teardown of the request with ID id in
// the execution history of machine, or nil when there is none. With a
// non-zero before, only teardowns that started before it are described, but
// the list still pages through the later ones.
func (w *Webhook) scanTeardowns(ctx context.Context, machine, id string, before time.Time) (*teardown, error) {
	token := ""
	for {
		page, next, err := w.Executions.ListExecutions(ctx, machine, sfn.ListOptions{MaxResults: sfn.MaxListResults, NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list teardowns of request %s: %w", id, err)
		}
		for _, summary := range page {
			if !before.IsZero() && !summary.StartDate.Before(before) {
				continue
			}
			x, err := w.Executions.DescribeExecution(ctx, summary.ARN)
			if errors.Is(err, sfn.ErrExecutionNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read teardown %s of request %s: %w", summary.Name, id, err)
			}
			if workflow.RequestID(x.Input) == id {
				return teardownOf(x), nil
			}
		}
		if next == "" {
			return nil, nil
		}
		token = next
	}
}

// runningTeardownHolder returns a teardown that holds item, the run item of
// the request with ID id, and that runs, or nil when there is none. A holder
// that has closed without releasing the item is passed over.
func (w *Webhook) runningTeardownHolder(ctx context.Context, id string, item dynamo.RunHolders) (*teardown, error) {
	for arn, holder := range item.Holders {
		if holder.Machine != teardownKind {
			continue
		}
		x, err := w.Executions.DescribeExecution(ctx, arn)
		if errors.Is(err, sfn.ErrExecutionNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read teardown %s of request %s: %w", arn, id, err)
		}
		if isOpen(x.Status) {
			return teardownOf(x), nil
		}
	}
	return nil, nil
}
