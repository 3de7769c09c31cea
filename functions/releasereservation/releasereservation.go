// Package releasereservation ends the place that preflight reserved among
// the private endpoints of a Snowflake account for a provision run that
// failed before its endpoint step. The Google Workflows definition calls
// it when such a run fails. On AWS the notifier does the same with
// provisionendpoint.ReleaseClosed.
package releasereservation

import (
	"context"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/workflow"
)

// Output reports released with the request ID when the step released the
// place of the run, or skipped with the reason in Reason and no ID when it
// released nothing.
type Output = workflow.Result

// Released is the action of a release that ran. The store does not report
// whether the run held a place, so it also covers a run that held none.
const Released = "released"

// Run releases the request's place while the execution in.Execution holds
// it, so that a later run of the request that reserved meanwhile keeps its
// place. A run whose document records the endpoint step keeps its place,
// because Snowflake may still create the endpoint that the step requested.
// The place then counts until Snowflake lists the endpoint, and ends when
// it expires.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if in.Execution == "" {
		return Output{}, workflow.Invalid("release the private endpoint reservation of %s: the task input names no execution", req.ID)
	}
	// Preflight reserves only with both, so a request without them holds no place.
	if req.ID == "" || req.Snowflake.Account == "" {
		return Output{Action: workflow.Skipped, Reason: "the request has no ID or Snowflake account"}, nil
	}
	if env.EndpointReservations == nil {
		return Output{Action: workflow.Skipped, Reason: "no reservation store is configured"}, nil
	}
	if in.Resources.Endpoint != nil {
		return Output{Action: workflow.Skipped, Reason: "the place is kept because the endpoint step ran"}, nil
	}
	if err := provisionendpoint.ReleaseHeld(ctx, env, req, in.Execution); err != nil {
		return Output{}, err
	}
	return Output{Action: Released, ID: req.ID}, nil
}
