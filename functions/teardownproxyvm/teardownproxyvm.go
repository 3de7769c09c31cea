// Package teardownproxyvm terminates the request's proxy VM.
package teardownproxyvm

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/workflow"
)

// Output names the instance.
type Output = workflow.Result

// Run terminates the live instance tagged with the request ID and the proxy
// VM's name. A request with proxy none has no instance, so Run reports
// skipped, as it does once the instance is shutting down or terminated.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	names := workflow.NamesFor(req)
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}
	inst, err := network.FindInstance(ctx, req.ID, names.ProxyVM)
	if err != nil {
		return Output{}, fmt.Errorf("find proxy instance %s: %w", names.ProxyVM, err)
	}
	if inst == nil {
		return Output{Action: workflow.Skipped, ID: names.ProxyVM}, nil
	}
	if err := network.TerminateInstance(ctx, inst.ID); err != nil {
		return Output{}, fmt.Errorf("terminate proxy instance %s: %w", inst.ID, err)
	}
	return Output{Action: workflow.Deleted, ID: inst.ID}, nil
}
