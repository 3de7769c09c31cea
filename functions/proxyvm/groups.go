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
// aws.vpc_id, which RunInstances rejects. execution is the run that may
// have built resources for the request already, or "" in preflight, which
// builds nothing. A run that changes the group list is rejected while such
// resources exist, so with an execution the message ends with the
// teardown that must come first.
func CheckSecurityGroups(ctx context.Context, network cloud.AWSNetwork, aws request.AWS, execution string) error {
	groups, err := network.SecurityGroups(ctx, aws.SecurityGroupIDs)
	if errors.Is(err, cloud.ErrInvalidSecurityGroup) {
		return workflow.Invalid("$.aws.security_group_ids %s names a security group that EC2 does not find in $.aws.region %s: %v. "+
			"List security groups of $.aws.vpc_id%s", strings.Join(aws.SecurityGroupIDs, ", "), aws.Region, err, workflow.PlacementChangeNote("$.aws.security_group_ids", execution))
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
		return workflow.Invalid("$.aws.security_group_ids has groups outside $.aws.vpc_id %s: %s. List security groups of %s%s",
			aws.VPCID, strings.Join(others, ", "), aws.VPCID, workflow.PlacementChangeNote("$.aws.security_group_ids", execution))
	}
	return nil
}
