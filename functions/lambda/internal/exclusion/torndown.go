package exclusion

import (
	"context"
	"errors"
	"fmt"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

// TornDown returns the name of the latest teardown of the request with ID
// requestID when it succeeded and no provision execution of the request
// followed it, and "" otherwise. It is workflow.Env.TornDown for the
// Lambda deployment, so that an egress refresh of a torn-down request
// opens no firewall rule.
//
// It reads the request's run item, with strong consistency, for the
// latest teardown. A provision execution that holds the item runs after
// that teardown, because every execution of a request excludes the
// others. A closed one that started after the teardown is found with
// ListExecutions, as latestAfter finds later runs.
//
// NOTE: without a table, or for a teardown that started before teardowns
// recorded themselves in the run items, it returns "", so the refresh
// changes the rules as before.
func (c *Checker) TornDown(ctx context.Context, requestID string) (string, error) {
	if c.Holders == nil || c.Teardown == "" {
		return "", nil
	}
	read, err := c.Holders.ReadRunHolders(ctx, requestID)
	if err != nil {
		return "", fmt.Errorf("read the run item of request %s: %w", requestID, err)
	}
	if read.LatestTeardown == "" {
		return "", nil
	}
	for _, holder := range read.Holders {
		if holder.Machine == kindProvision {
			return "", nil
		}
	}

	teardown, err := c.Executions.DescribeExecution(ctx, read.LatestTeardown)
	// A teardown whose history aged out, 90 days after it closed, cannot
	// be read, and then counts as unknown.
	if errors.Is(err, sfn.ErrExecutionNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read teardown %s of request %s: %w", read.LatestTeardown, requestID, err)
	}
	if teardown.Status != "SUCCEEDED" {
		return "", nil
	}
	prefix, _, ok := splitMachineARN(teardown.StateMachineARN)
	if !ok {
		return "", fmt.Errorf("read teardown %s of request %s: state machine ARN %q has no stateMachine: part",
			read.LatestTeardown, requestID, teardown.StateMachineARN)
	}
	later, err := c.latestAfter(ctx, prefix+c.Provision, requestID, teardown)
	if err != nil {
		return "", fmt.Errorf("list the provision executions of request %s after teardown %s: %w", requestID, teardown.Name, err)
	}
	if later != nil {
		return "", nil
	}
	return teardown.Name, nil
}
