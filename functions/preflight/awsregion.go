package preflight

import (
	"context"
	"errors"
	"net"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// unknownRegionCode is the error code of the sandbox's EC2 for a call
// signed for a region that does not exist (awssim.UnknownRegionCode).
const unknownRegionCode = "UnknownRegion"

// checkAWSRegion fails an AWS private-link run whose aws.region is not an
// AWS region, before anything is built, with the closest regions of
// request.AWSRegionNames. Request validation checks only the form of the
// name, so that a region newer than that list still works. So the check
// reads the region's availability zones from EC2. AWS has no endpoint for a
// region that does not exist, and the SDK then fails on the DNS lookup of
// the endpoint host, which it does not retry (aws-sdk-go-v2 v1.48.0,
// aws/retry). The sandbox rejects such a call with unknownRegionCode.
// Another error is returned as it is, and the availability_zones check
// reports it too.
//
// NOTE: only a unit test with a constructed *net.DNSError covers the DNS
// failure; no run against AWS has exercised this path.
func checkAWSRegion(ctx context.Context, env *workflow.Env, req request.Request) error {
	if !awsPrivateLink(req) {
		return nil
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err == nil {
		_, err = network.AvailabilityZones(ctx)
	}
	if err == nil || !isUnknownRegion(err) {
		return err
	}
	return cloudresource.InvalidField("$.aws.region", "$.aws.region %s is not an AWS region; set $.aws.region to the region of $.aws.vpc_id, such as %s",
		req.AWS.Region, cloudresource.ClosestNames(request.AWSRegionNames(), req.AWS.Region, "us-west-2"))
}

// isUnknownRegion reports whether err, the error of an EC2 call, means
// that the call's region does not exist: the DNS lookup of its endpoint
// found no such host, or the sandbox rejected it with unknownRegionCode.
func isUnknownRegion(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return true
	}
	var apiErr interface{ ErrorCode() string }
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == unknownRegionCode
}

// skipUnknownRegion adapts a check of the resources in aws.region so that
// it returns a *cloudresource.SkippedError in place of the error of a
// region that does not exist. The report then does not list the same
// failure under every AWS check, because the aws_region check reports it
// with its fix.
func skipUnknownRegion(check func(context.Context, *workflow.Env, request.Request) (Warning, error)) func(context.Context, *workflow.Env, request.Request) (Warning, error) {
	return func(ctx context.Context, env *workflow.Env, req request.Request) (Warning, error) {
		warning, err := check(ctx, env, req)
		if err != nil && isUnknownRegion(err) {
			return Warning{}, cloudresource.Skipped("$.aws.region %s is not an AWS region, which the aws_region check reports", req.AWS.Region)
		}
		return warning, err
	}
}
