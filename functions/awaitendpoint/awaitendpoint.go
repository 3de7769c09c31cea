// Package awaitendpoint registers the long wait until Snowflake reports the
// endpoint live. It runs as a callback task: the scheduled poller completes
// the task token, so a run costs the same number of state transitions
// however long it waits.
package awaitendpoint

import (
	"context"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/workflow"
)

// DefaultDeadline bounds the wait when the environment sets none.
const DefaultDeadline = 8 * 24 * time.Hour

// Output is empty: the task's result comes from the poller.
type Output struct{}

// Run records the wait for the poller. Registering the same token again
// changes nothing.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	endpoint := in.Resources.Endpoint
	if endpoint == nil {
		return Output{}, workflow.Invalid("waiting needs the endpoint; run the endpoint step first")
	}
	if in.Token == "" {
		return Output{}, workflow.Invalid("await_endpoint runs as a callback task and needs the task token in its input")
	}
	deadline := env.WaitDeadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	now := env.Now()
	w := workflow.Wait{
		Token:     in.Token,
		Execution: in.Execution,
		Snowflake: in.Request.Snowflake,
		ServiceID: endpoint.ID,
		Host:      endpoint.Host,
		Cloud:     in.Request.RouteCloud(),
		Deadline:  now.Add(deadline),
		CreatedAt: now,
	}
	if err := env.Waits.Put(ctx, w); err != nil {
		return Output{}, fmt.Errorf("register wait for %s: %w", endpoint.ID, err)
	}
	return Output{}, nil
}
