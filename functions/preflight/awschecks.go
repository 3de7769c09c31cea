package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/egressranges"
	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkVPC fails an AWS private-link run whose subnets are not all in
// aws.vpc_id, before anything is built for it. The target group goes in
// the VPC and its target in a subnet, so ELBv2 would reject the target only
// after the proxy VM, the target group and the load balancer exist.
func checkVPC(ctx context.Context, env *workflow.Env, req request.Request) error {
	if !awsPrivateLink(req) {
		return nil
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return err
	}
	return awszones.CheckVPC(ctx, network, *req.AWS, "")
}

// checkLaunch fails an AWS private-link run whose proxy VM EC2 would not
// launch, before anything is built for it. EC2 rejects an instance type or
// image that aws.region does not have, an image for another architecture
// than the instance type's, and a security group that is missing or in
// another VPC.
func checkLaunch(ctx context.Context, env *workflow.Env, req request.Request) error {
	if !launchApplies(req) {
		return nil
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return err
	}
	if _, err := proxyvm.LaunchImage(ctx, network, *req.AWS); err != nil {
		return err
	}
	return proxyvm.CheckSecurityGroups(ctx, network, *req.AWS, "")
}

// checkEgressGroup fails an egress-ip run whose egress.security_group_id
// EC2 does not find, with the error that the egress_ranges step returns
// when EC2 rejects the group.
func checkEgressGroup(ctx context.Context, env *workflow.Env, req request.Request) error {
	return egressranges.CheckGroup(ctx, env, req, "")
}
