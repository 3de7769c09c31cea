package provisionendpoint

import (
	"context"
	"iter"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// EndpointState is the provision machine's state that calls
// SYSTEM$PROVISION_PRIVATELINK_ENDPOINT.
const EndpointState = "Endpoint"

// ReleaseClosed ends the place of a provision execution that closed
// before its endpoint step, while that execution owns it. A later run of
// the request that reserved meanwhile keeps the place.
//
// entered yields the names of the states that the execution entered, in
// any order and including those before a redrive, or an error when its
// history cannot be read. An execution that entered EndpointState keeps
// its place, and ReleaseClosed returns kept true: Snowflake may still
// create the endpoint that the run requested before it closed, so the
// place counts until the endpoint is listed and ends when it expires. A
// redriven run reserves again at the endpoint step.
//
// It releases nothing when env has no reservation store or entered
// yields an error. An empty execution is invalid, because ReleaseHeld
// would then release the place whichever run owns it.
func ReleaseClosed(ctx context.Context, env *workflow.Env, req request.Request, execution string, entered iter.Seq2[string, error]) (kept bool, err error) {
	if env.EndpointReservations == nil {
		return false, nil
	}
	if execution == "" {
		return false, workflow.Invalid("release the private endpoint reservation of %s: no execution named", req.ID)
	}
	reached, err := EnteredEndpoint(entered)
	if err != nil || reached {
		return reached, err
	}
	return false, ReleaseHeld(ctx, env, req, execution)
}

// EnteredEndpoint reports whether entered, the states that an execution
// entered, includes EndpointState.
func EnteredEndpoint(entered iter.Seq2[string, error]) (bool, error) {
	for state, err := range entered {
		if err != nil {
			return false, err
		}
		if state == EndpointState {
			return true, nil
		}
	}
	return false, nil
}
