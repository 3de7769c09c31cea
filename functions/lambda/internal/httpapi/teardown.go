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
// execution of the request records itself on its first task.
// *dynamo.Store implements it.
type RunItems interface {
	// ReadRunHolders reads the item with a strongly consistent read.
	ReadRunHolders(ctx context.Context, requestID string) (dynamo.RunHolders, error)
}

var _ RunItems = (*dynamo.Store)(nil)

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
// A teardown that holds the request's run item and runs is returned first,
// because the item is read with strong consistency and ListExecutions is
// eventually consistent: a teardown that started moments ago can be missing
// from the list. The item names only teardowns that have passed their first
// task and have not yet been released, so without a running holder the
// teardown machine's executions are listed, newest first, and read until one
// of the request.
//
// NOTE: the list read describes every teardown execution that started after
// the request's latest one, and all of them for a request without a
// teardown. So the cost of a delivery grows with the teardowns that the
// execution history keeps, for 90 days after closing by default.
func (w *Webhook) latestTeardown(ctx context.Context, id string) (*teardown, error) {
	machine := w.teardownMachineARN()
	if machine == "" {
		return nil, nil
	}
	if w.RunItems != nil {
		x, err := w.runningTeardownHolder(ctx, id)
		if err != nil || x != nil {
			return x, err
		}
	}

	token := ""
	for {
		page, next, err := w.Executions.ListExecutions(ctx, machine, sfn.ListOptions{MaxResults: sfn.MaxListResults, NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list teardowns of request %s: %w", id, err)
		}
		for _, summary := range page {
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

// runningTeardownHolder returns a teardown that holds the run item of the
// request with ID id and that runs, or nil when there is none. A holder
// that has closed without releasing the item is passed over.
func (w *Webhook) runningTeardownHolder(ctx context.Context, id string) (*teardown, error) {
	item, err := w.RunItems.ReadRunHolders(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run item of request %s: %w", id, err)
	}
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
