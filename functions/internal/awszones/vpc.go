package awszones

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// VPCField is the request field that names the VPC of the subnets.
const VPCField = "$.aws.vpc_id"

// ReadSubnets returns the request's subnets in request order. When EC2
// does not find one of them, the error adds that aws.region may be wrong,
// because EC2 looks up subnet IDs only in the region of the call. execution
// is as for Check: with a run that may have built resources, the advice to
// change aws.region or aws.subnet_ids ends with the teardown that must come
// first.
func ReadSubnets(ctx context.Context, network cloud.AWSNetwork, aws request.AWS, execution string) ([]cloud.Subnet, error) {
	subnets, err := network.Subnets(ctx, aws.SubnetIDs)
	if errors.Is(err, cloud.ErrNotFound) {
		return nil, &SubnetReadError{err: fmt.Errorf("read subnets %s of %s: %w. The subnets may be in another region than $.aws.region %s: "+
			"set $.aws.region to the region of the subnets, or list subnets of %s in %s%s",
			strings.Join(aws.SubnetIDs, ", "), Field, err, aws.Region, aws.Region, Field,
			workflow.PlacementChangeNote("$.aws.region or $.aws.subnet_ids", execution))}
	}
	if err != nil {
		return nil, &SubnetReadError{err: fmt.Errorf("read subnets %s of %s: %w", strings.Join(aws.SubnetIDs, ", "), Field, err)}
	}
	return ordered(subnets, aws.SubnetIDs), nil
}

// SubnetReadError is the error of ReadSubnets. Checks that read the
// subnets after CheckVPC use it to tell its failure from their own.
type SubnetReadError struct{ err error }

func (e *SubnetReadError) Error() string { return e.err.Error() }

func (e *SubnetReadError) Unwrap() error { return e.err }

// CheckVPC returns an InvalidRequest error when a subnet of aws.subnet_ids
// is in another VPC than aws.vpc_id, naming the subnets and their VPCs. The
// target group goes in aws.vpc_id and the load balancer and the proxy VM in
// the subnets. Without this check, a mismatch would surface only when the
// target is registered, after the load balancer exists.
// execution is as for Check.
func CheckVPC(ctx context.Context, network cloud.AWSNetwork, aws request.AWS, execution string) error {
	if aws.VPCID == "" {
		return nil
	}
	subnets, err := ReadSubnets(ctx, network, aws, execution)
	if err != nil {
		return err
	}
	return VPCMismatch(subnets, aws, execution)
}

// VPCMismatch returns the InvalidRequest error of CheckVPC for subnets
// that have been read, or nil when every subnet is in aws.vpc_id. A subnet
// without a VPC in the response is not compared. The fix changes
// aws.vpc_id or aws.subnet_ids, so with an execution the message ends with
// the teardown that must come first.
func VPCMismatch(subnets []cloud.Subnet, aws request.AWS, execution string) error {
	var others []string
	for _, subnet := range subnets {
		if subnet.VPCID != "" && subnet.VPCID != aws.VPCID {
			others = append(others, subnet.ID+" is in "+subnet.VPCID)
		}
	}
	if len(others) == 0 {
		return nil
	}
	return workflow.Invalid("%s is %s, but not every subnet of %s is in it: %s. "+
		"Set %s to the VPC of the subnets, or list subnets of %s in %s%s",
		VPCField, aws.VPCID, Field, strings.Join(others, ", "), VPCField, aws.VPCID, Field,
		workflow.PlacementChangeNote("$.aws.vpc_id or $.aws.subnet_ids", execution))
}
