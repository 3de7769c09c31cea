package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
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

// checkLaunch fails an AWS private-link run whose proxy VM EC2 would not
// launch, before anything is built for it. EC2 rejects an instance type or
// image that aws.region does not have, an image for another architecture
// than the instance type's, and a security group that is missing or in
// another VPC.
func checkLaunch(ctx context.Context, env *workflow.Env, req request.Request) error {
	if req.Route != request.RouteAWSPrivateLink || req.AWS == nil || proxyvm.Direct(req) {
		return nil
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return err
	}
	if _, err := proxyvm.LaunchImage(ctx, network, *req.AWS); err != nil {
		return err
	}
	return checkSecurityGroups(ctx, network, *req.AWS)
}

// checkSecurityGroups fails when a group of aws.security_group_ids does not
// exist or is in another VPC than aws.vpc_id, which RunInstances rejects.
func checkSecurityGroups(ctx context.Context, network cloud.AWSNetwork, aws request.AWS) error {
	groups, err := network.SecurityGroups(ctx, aws.SecurityGroupIDs)
	if errors.Is(err, cloud.ErrInvalidSecurityGroup) {
		return workflow.Invalid("$.aws.security_group_ids %s names a security group that EC2 does not find in aws.region %s: %v. "+
			"List security groups of aws.vpc_id", strings.Join(aws.SecurityGroupIDs, ", "), aws.Region, err)
	}
	if err != nil {
		return fmt.Errorf("read security groups %s: %w", strings.Join(aws.SecurityGroupIDs, ", "), err)
	}
	var others []string
	for _, group := range groups {
		if group.VPCID != "" && aws.VPCID != "" && group.VPCID != aws.VPCID {
			others = append(others, group.ID+" is in "+group.VPCID)
		}
	}
	if len(others) > 0 {
		return workflow.Invalid("$.aws.security_group_ids has groups outside aws.vpc_id %s: %s. List security groups of %s",
			aws.VPCID, strings.Join(others, ", "), aws.VPCID)
	}
	return nil
}
