package proxyvm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// CheckSecurityGroups fails with InvalidRequest when a group of
// aws.security_group_ids does not exist or is in another VPC than
// aws.vpc_id, which RunInstances rejects.
func CheckSecurityGroups(ctx context.Context, network cloud.AWSNetwork, aws request.AWS) error {
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
