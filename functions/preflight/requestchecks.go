package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// RequestCheck is one check of the request against its Snowflake account
// and cloud, which the step runs after the index checks pass.
type RequestCheck struct {
	// Name labels the check in a report.
	Name string
	// Subject describes what a passed check found.
	Subject string
	// Run returns an error that stops a run, or a warning that does not.
	Run func(ctx context.Context, env *workflow.Env, req request.Request) (warning string, err error)
}

// RequestChecks returns the step's checks of the request's Snowflake
// account and cloud, in the order that the step runs them. The endpoint
// capacity check only counts the free places, as the plan does, because
// the step alone reserves one.
func RequestChecks() []RequestCheck {
	return requestChecks(func(ctx context.Context, env *workflow.Env, req request.Request) error {
		return withEndpoints(ctx, env, req, func(infos []provisionendpoint.EndpointInfo) error {
			return CheckEndpointCapacity(ctx, env, req, infos)
		})
	})
}

// requestChecks returns the checks with capacity as the endpoint capacity
// check.
func requestChecks(capacity func(ctx context.Context, env *workflow.Env, req request.Request) error) []RequestCheck {
	return []RequestCheck{
		{Name: "snowflake_location", Subject: "snowflake.database and snowflake.schema exist", Run: noWarning(checkLocation)},
		{Name: "account_region", Subject: "aws.region or gcp.region is the region of the Snowflake account", Run: noWarning(checkAccountRegion)},
		{Name: "object_names", Subject: "the SECRET, API INTEGRATION and ARTIFACT REPOSITORY names are free or belong to this request", Run: noWarning(checkOwners)},
		{Name: "grant_roles", Subject: "the account has every role of repository.grant_to_roles", Run: noWarning(checkRoles)},
		{Name: "default_level", Subject: "no other request's repository is the default of repository.default_for", Run: noWarning(checkDefaultLevel)},
		{Name: "vpc_subnets", Subject: "every subnet of " + awszones.Field + " is in " + awszones.VPCField, Run: noWarning(checkVPC)},
		{Name: "proxy_vm_launch", Subject: "EC2 has aws.instance_type, aws.image_id for its architecture, and aws.security_group_ids in aws.vpc_id", Run: noWarning(checkLaunch)},
		{Name: "availability_zones", Subject: awszones.Field + " has one subnet in each availability zone of the region", Run: checkZones},
		{Name: "endpoint_capacity", Subject: "the Snowflake account has a place for the private endpoint", Run: noWarning(capacity)},
	}
}

// noWarning adapts a check that has no warnings to RequestCheck.Run.
func noWarning(check func(context.Context, *workflow.Env, request.Request) error) func(context.Context, *workflow.Env, request.Request) (string, error) {
	return func(ctx context.Context, env *workflow.Env, req request.Request) (string, error) {
		return "", check(ctx, env, req)
	}
}

// privateLink reports whether the route makes a private endpoint in the
// Snowflake account.
func privateLink(route request.Route) bool {
	switch route {
	case request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
		return true
	}
	return false
}
