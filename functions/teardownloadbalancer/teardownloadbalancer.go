// Package teardownloadbalancer deletes the request's TCP listener and
// network load balancer.
package teardownloadbalancer

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the load balancer.
type Output = workflow.Result

// Run deletes the listener and then the load balancer of the request's
// deterministic name. It deletes only a load balancer tagged with the
// request ID, and returns NotReady while an endpoint service that is being
// deleted still uses it.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	names := workflow.NamesFor(req)
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}
	lb, err := network.FindLoadBalancer(ctx, names.LoadBalancer)
	if err != nil {
		return Output{}, fmt.Errorf("find load balancer %s: %w", names.LoadBalancer, err)
	}
	if lb == nil {
		return Output{Action: workflow.Skipped, ID: names.LoadBalancer}, nil
	}
	if err := cloudresource.CheckDelete("load balancer", lb.ARN, lb.Tags, req.ID); err != nil {
		return Output{}, err
	}

	listener, err := network.FindListener(ctx, lb.ARN, proxyvm.ProxyPort)
	if err != nil {
		return Output{}, fmt.Errorf("find listener on %s: %w", lb.ARN, err)
	}
	out := Output{Action: workflow.Deleted, ID: lb.ARN}
	if listener != nil {
		if err := network.DeleteListener(ctx, listener.ARN); err != nil {
			return Output{}, fmt.Errorf("delete listener %s: %w", listener.ARN, err)
		}
		out.Related = []workflow.Result{{Action: workflow.Deleted, ID: listener.ARN}}
	}
	if err := network.DeleteLoadBalancer(ctx, lb.ARN); err != nil {
		return Output{}, fmt.Errorf("delete load balancer %s: %w", lb.ARN, err)
	}
	return out, nil
}
