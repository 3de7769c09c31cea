package awssim

import (
	"context"
	"net/http"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// regionKey is the context key of the region that a call is signed for.
type regionKey struct{}

// withCallRegion returns ctx with the region of r's SigV4 credential scope,
// or the server's region when r names none. The SDK signs each call for the
// region of its client, so the sandbox responds in that region as AWS does.
func (s *Server) withCallRegion(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, regionKey{}, s.signedRegion(r))
}

// callRegion returns the region of the call in ctx, or the server's region.
func (s *Server) callRegion(ctx context.Context) string {
	if region, ok := ctx.Value(regionKey{}).(string); ok && region != "" {
		return region
	}
	return s.opts.Region
}

// signedRegion returns the region of r's credential scope
// (Credential=<key id>/<date>/<region>/<service>/aws4_request), or the
// server's region when the header has no such scope.
func (s *Server) signedRegion(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return s.opts.Region
	}
	for _, part := range strings.Split(rest, ",") {
		credential, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		if fields := strings.Split(credential, "/"); len(fields) == 5 && fields[2] != "" {
			return fields[2]
		}
	}
	return s.opts.Region
}

// UnknownRegionCode is the error code with which the sandbox rejects an
// EC2 or ELBv2 call signed for a region that is not an AWS region
// (request.IsKnownAWSRegion). AWS has no endpoint for such a region, so
// there the SDK fails on the DNS lookup of the endpoint host before it
// sends anything. Every sandbox client reaches one address, so the sandbox
// returns this error in its place.
//
// NOTE: a region newer than request.AWSRegionNames is unknown to the
// sandbox only.
const UnknownRegionCode = "UnknownRegion"

// unknownRegion is the sandbox's error for a call signed for region, which
// is not an AWS region.
func unknownRegion(region string) *apiError {
	return errorf(http.StatusBadRequest, UnknownRegionCode, "The region '%s' does not exist; AWS has no endpoint for it", region)
}

// zoneRegion returns the region of a zone name such as us-west-2a, which is
// the name without its final letter.
func zoneRegion(zone string) string {
	if zone == "" {
		return ""
	}
	return zone[:len(zone)-1]
}

// subnetNotFound is EC2's error for a subnet ID that the call's region
// lacks.
func subnetNotFound(id string) *apiError {
	return errorf(http.StatusBadRequest, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
}

// elbSubnetNotFound is ELBv2's error for a subnet that the call's region lacks.
func elbSubnetNotFound(id string) *apiError {
	return errorf(http.StatusBadRequest, "SubnetNotFound", "Subnet '%s' was not found in region", id)
}

// serviceRegion returns the region of an endpoint service name such as
// com.amazonaws.vpce.us-west-2.vpce-svc-0123 or
// cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0123, or fallback for a name
// without one.
func serviceRegion(name, fallback string) string {
	_, rest, ok := strings.Cut(name, ".vpce.")
	region, _, hasID := strings.Cut(rest, ".")
	if !ok || !hasID || region == "" {
		return fallback
	}
	return region
}

// baseEndpointDNSName returns the DNS name of an endpoint service, such as
// vpce-svc-0123.cn-north-1.vpce.amazonaws.com.cn.
func baseEndpointDNSName(svc *EndpointService, fallbackRegion string) string {
	region := serviceRegion(svc.Name, fallbackRegion)
	return svc.ID + "." + region + ".vpce." + partition(region).DNSSuffix
}

// partition returns the AWS partition of region, or the aws partition for
// a name outside every partition, which request validation rejects.
func partition(region string) request.AWSPartition {
	if p, ok := request.AWSPartitionOf(region); ok {
		return p
	}
	return request.AWSPartition{ID: "aws", DNSSuffix: "amazonaws.com"}
}
