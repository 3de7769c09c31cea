package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkVPC fails an AWS private-link run whose subnets are not all in
// aws.vpc_id, before anything is built for it. The target group goes in
// the VPC and its target in a subnet, so ELBv2 would reject the target only
// after the proxy VM, the target group and the load balancer exist.
func checkVPC(ctx context.Context, env *workflow.Env, req request.Request) error {
	if req.Route != request.RouteAWSPrivateLink || req.AWS == nil {
		return nil
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return err
	}
	return awszones.CheckVPC(ctx, network, *req.AWS)
}
