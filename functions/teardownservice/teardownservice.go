// Package teardownservice deletes the request's VPC endpoint service.
package teardownservice

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/workflow"
)

// Output names the endpoint service.
type Output = workflow.Result

// Run deletes the endpoint service tagged with the request ID. EC2 keeps a
// service with live connections, so Run returns NotReady until the
// connections are gone. It reports skipped when there is no service.
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
	if err := network.DeleteEndpointService(ctx, svc.ID); err != nil {
		return Output{}, fmt.Errorf("delete endpoint service %s: %w", svc.ID, err)
	}
	return Output{Action: workflow.Deleted, ID: svc.ID}, nil
}
