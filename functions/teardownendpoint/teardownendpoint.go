// Package teardownendpoint deprovisions the Snowflake private endpoint to
// the request's endpoint service. Snowflake keeps a deprovisioned endpoint
// on its deletion queue for 7 days, where SYSTEM$RESTORE_PRIVATELINK_ENDPOINT
// can bring it back, and counts it towards the account's endpoint limit
// until then.
package teardownendpoint

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the endpoint service and reports deleted when an endpoint
// was deprovisioned.
type Output = workflow.Result

// Run finds the request's endpoint service and deprovisions the account's
// endpoint to it, unless the endpoint is already queued for deletion.
// Without the endpoint service there is nothing to look for, because an
// endpoint of the request can only connect to that service.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}
	svc, err := network.FindEndpointService(ctx, req.ID)
	if err != nil {
		return Output{}, fmt.Errorf("find endpoint service of %s: %w", req.ID, err)
	}
	if svc == nil {
		return Output{Action: workflow.Skipped, ID: "none"}, nil
	}

	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}
	infos, err := provisionendpoint.Endpoints(ctx, conn)
	if err != nil {
		return Output{}, err
	}
	action := workflow.Skipped
	for _, info := range infos {
		if info.ServiceID() != svc.Name || Queued(info.EndpointState) {
			continue
		}
		if _, err := conn.Query(ctx, snowflake.DeprovisionPrivateLinkEndpoint(svc.Name)); err != nil {
			return Output{}, fmt.Errorf("deprovision endpoint to %s: %w", svc.Name, err)
		}
		action = workflow.Deleted
		// One call removes the account's endpoint to the service.
		break
	}
	return Output{Action: action, ID: svc.Name}, nil
}

// Queued reports whether an endpoint state means the endpoint is already on
// its way out: PENDING_DELETION (restorable) or DELETING.
func Queued(endpointState string) bool {
	switch strings.ToUpper(endpointState) {
	case "PENDING_DELETION", "DELETING":
		return true
	}
	return false
}
