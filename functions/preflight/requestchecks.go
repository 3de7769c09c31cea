package preflight

import (
	"context"
	"errors"

	"github.com/repolink/repolink/functions/internal/accountregion"
	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/functions/proxyvm"
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
	// Applies reports whether the check has anything to check for the
	// request. Nil means every request.
	Applies func(req request.Request) bool
	// Run returns an error that stops a run, or a warning that does not.
	Run func(ctx context.Context, env *workflow.Env, req request.Request) (Warning, error)
}

// Warning is a problem that a RequestCheck found which does not stop a
// run. An empty Detail means no warning.
type Warning struct {
	Detail string
	// Fix is the change to make, or "" when the check has none.
	Fix string
}

// RequestChecks returns the step's checks of the request's Snowflake
// account and cloud that apply to req, in the order that the step runs
// them. A check that does not apply, such as an AWS check on another
// route, is left out, so that no report lists it as passed. The endpoint
// capacity check only counts the free places, as the plan does, because
// the step alone reserves one.
func RequestChecks(req request.Request) []RequestCheck {
	return applicable(req, requestChecks(req.Route, func(ctx context.Context, env *workflow.Env, req request.Request) error {
		return withEndpoints(ctx, env, req, func(infos []provisionendpoint.EndpointInfo) error {
			return CheckEndpointCapacity(ctx, env, req, infos)
		})
	}))
}

// StartChecks returns the checks of RequestChecks that CheckStart runs
// before an execution of req starts. They check where the request
// builds, which every later check and step depends on. They also check
// that the repository VM of a proxy none request can join a load
// balancer. A request that they reject gets no execution, and nothing is
// built for it.
func StartChecks(req request.Request) []RequestCheck {
	var out []RequestCheck
	for _, check := range RequestChecks(req) {
		if check.Name == "aws_region" || check.Name == "azure_location" || check.Name == "gcp_region" || check.Name == "gcp_target_vm" {
			out = append(out, check)
		}
	}
	return out
}

// StartError is the rejection of a request by one of its StartChecks.
type StartError struct {
	// Check is the name of the check, such as gcp_region.
	Check string
	// Path is the JSON path of the rejected field, such as $.gcp.zone, or
	// "$" when the check's error names no single field.
	Path string
	// Err is the InvalidRequest error of the check. Its message names the
	// field and what to change.
	Err error
}

func (e *StartError) Error() string { return e.Check + ": " + e.Err.Error() }

func (e *StartError) Unwrap() error { return e.Err }

// Validation returns the rejection as a *request.ValidationError on its
// field, with which the webhooks and the Step Functions API reject the
// request as bad input.
func (e *StartError) Validation() *request.ValidationError {
	return &request.ValidationError{Fields: []request.FieldError{{Path: e.Path, Message: e.Error()}}}
}

// CheckStart runs the StartChecks of req with env and returns a
// *StartError for the first one that fails with InvalidRequest. Every
// intake that starts a provision execution calls it first, so that such a
// request is rejected as bad input and no execution starts. Any other
// error, such as a failed lookup, is left to the preflight step, which
// retries it, so CheckStart logs it as a warning on env.Logger and
// returns nil for it.
func CheckStart(ctx context.Context, env *workflow.Env, req request.Request) error {
	for _, check := range StartChecks(req) {
		_, err := check.Run(ctx, env, req)
		if err == nil {
			continue
		}
		if _, skipped := SkipReason(err); skipped {
			continue
		}
		if workflow.NameOf(err) != workflow.ErrInvalidRequest {
			if env.Logger != nil {
				env.Logger.Warn("start check could not run; the run's preflight step runs it again",
					"check", check.Name, "request", req.ID, "error", err)
			}
			continue
		}
		path := "$"
		var field *cloudresource.FieldError
		if errors.As(err, &field) {
			path = field.Path
		}
		return &StartError{Check: check.Name, Path: path, Err: err}
	}
	return nil
}

// SkipReason returns the reason why a check that returned err checked
// nothing, because a field that it depends on fails another check, and
// false when err is not such a skip.
func SkipReason(err error) (string, bool) {
	var skipped *cloudresource.SkippedError
	if errors.As(err, &skipped) {
		return skipped.Reason, true
	}
	return "", false
}

// requestChecks returns every check, whether or not it applies, with
// capacity as the endpoint capacity check and subjects worded for a
// request of route.
func requestChecks(route request.Route, capacity func(ctx context.Context, env *workflow.Env, req request.Request) error) []RequestCheck {
	return []RequestCheck{
		{Name: "snowflake_location", Subject: "$.snowflake.database and $.snowflake.schema exist", Run: noWarning(checkLocation)},
		{Name: "session_warehouse", Subject: "the Snowflake session has the warehouse of $.snowflake.warehouse, or the user's default warehouse",
			Run: noWarning(checkWarehouse)},
		{Name: "account_region", Subject: accountRegionSubject(route),
			Applies: accountRegionApplies, Run: noWarning(checkAccountRegion)},
		{Name: "object_names", Subject: "the SECRET, API INTEGRATION and ARTIFACT REPOSITORY names are free or belong to this request", Run: noWarning(checkOwners)},
		{Name: "grant_roles", Subject: "the account has every role of $.repository.grant_to_roles",
			Applies: rolesApply, Run: noWarning(checkRoles)},
		{Name: "default_level", Subject: "no other request's repository is the default of $.repository.default_for",
			Applies: defaultLevelApplies, Run: noWarning(checkDefaultLevel)},
		{Name: "azure_location", Subject: "the subscription of $.azure.subscription_id has $.azure.location, and the network of $.azure.vnet_name is in it",
			Applies: azurePrivateLink, Run: noWarning(checkAzureLocation)},
		{Name: "azure_vm_size", Subject: "$.azure.location has the VM size of $.azure.vm_size",
			Applies: azureProxyApplies, Run: noWarning(checkAzureVMSize)},
		{Name: "gcp_region", Subject: "project $.gcp.project has the region of $.gcp.region, and it has the zone of $.gcp.zone",
			Applies: gcpPrivateLink, Run: noWarning(checkGCPRegion)},
		{Name: "psc_subnet", Subject: "$.gcp.psc_subnet can be used or created with $.gcp.psc_subnet_cidr in $.gcp.network",
			Applies: gcpPrivateLink, Run: noWarning(checkPSCSubnet)},
		{Name: "gcp_machine_type", Subject: "$.gcp.zone has the machine type of $.gcp.machine_type",
			Applies: gcpProxyApplies, Run: noWarning(checkGCPMachineType)},
		{Name: "gcp_target_vm", Subject: "the VM of $.gcp.target_address is in no other request's instance group",
			Applies: gcpNoProxy, Run: noWarning(checkGCPTargetVM)},
		{Name: "egress_security_group", Subject: "$.egress.security_group_id exists in $.egress.region",
			Applies: egressGroupApplies, Run: noWarning(checkEgressGroup)},
		{Name: "aws_region", Subject: "EC2 has the region of $.aws.region",
			Applies: awsPrivateLink, Run: noWarning(checkAWSRegion)},
		{Name: "vpc_subnets", Subject: "every subnet of " + awszones.Field + " is in " + awszones.VPCField,
			Applies: awsPrivateLink, Run: skipUnknownRegion(noWarning(checkVPC))},
		{Name: "proxy_vm_launch", Subject: "EC2 has $.aws.instance_type, $.aws.image_id for its architecture, and $.aws.security_group_ids in $.aws.vpc_id",
			Applies: launchApplies, Run: skipUnknownRegion(noWarning(checkLaunch))},
		{Name: "availability_zones", Subject: awszones.Field + " has one subnet in each availability zone of the region",
			Applies: awsPrivateLink, Run: skipUnknownRegion(checkZones)},
		{Name: "endpoint_capacity", Subject: "the Snowflake account has a place for the private endpoint",
			Applies: endpointApplies, Run: noWarning(capacity)},
	}
}

// applicable returns the checks that apply to req.
func applicable(req request.Request, all []RequestCheck) []RequestCheck {
	var out []RequestCheck
	for _, check := range all {
		if check.Applies == nil || check.Applies(req) {
			out = append(out, check)
		}
	}
	return out
}

// noWarning adapts a check that has no warnings to RequestCheck.Run.
func noWarning(check func(context.Context, *workflow.Env, request.Request) error) func(context.Context, *workflow.Env, request.Request) (Warning, error) {
	return func(ctx context.Context, env *workflow.Env, req request.Request) (Warning, error) {
		return Warning{}, check(ctx, env, req)
	}
}

// awsPrivateLink reports whether req builds its network in an AWS VPC.
func awsPrivateLink(req request.Request) bool {
	return req.Route == request.RouteAWSPrivateLink && req.AWS != nil
}

// azurePrivateLink reports whether req builds its network in an Azure
// virtual network.
func azurePrivateLink(req request.Request) bool {
	return req.Route == request.RouteAzurePrivateLink && req.Azure != nil
}

// azureProxyApplies reports whether req creates a proxy VM on Azure, which
// an azure-privatelink request with azure.proxy none does not.
func azureProxyApplies(req request.Request) bool {
	return azurePrivateLink(req) && req.Azure.Proxy != "none"
}

// gcpPrivateLink reports whether req builds its network in a Google Cloud
// VPC.
func gcpPrivateLink(req request.Request) bool {
	return req.Route == request.RouteGCPPrivateLink && req.GCP != nil
}

// gcpProxyApplies reports whether req creates a proxy VM on Google Cloud,
// which a gcp-privatelink request with gcp.proxy none does not.
func gcpProxyApplies(req request.Request) bool {
	return gcpPrivateLink(req) && req.GCP.Proxy != "none"
}

// gcpNoProxy reports whether req puts the repository's own VM behind the
// load balancer, which a gcp-privatelink request with gcp.proxy none does.
func gcpNoProxy(req request.Request) bool {
	return gcpPrivateLink(req) && req.GCP.Proxy == "none"
}

// egressGroupApplies reports whether req opens an AWS security group to
// Snowflake's egress ranges.
func egressGroupApplies(req request.Request) bool {
	return req.Route == request.RouteEgressIP && req.Egress != nil && req.Egress.Cloud == "aws"
}

// launchApplies reports whether req launches a proxy VM on EC2, which an
// AWS private-link request with aws.proxy none does not.
func launchApplies(req request.Request) bool {
	return awsPrivateLink(req) && !proxyvm.Direct(req)
}

// accountRegionSubject returns the Subject of the account_region check
// for a request of route. It names the route's cloud, and the region field
// only where the check compares one, which it does not on Azure.
func accountRegionSubject(route request.Route) string {
	const account = "the Snowflake account of $.snowflake.account is on "
	switch route {
	case request.RouteAWSPrivateLink:
		return account + "AWS, and $.aws.region is its region"
	case request.RouteAzurePrivateLink:
		return account + "Azure"
	case request.RouteGCPPrivateLink:
		return account + "Google Cloud, and $.gcp.region is its region"
	}
	return account + "the route's cloud"
}

// accountRegionApplies reports whether req builds on a private-link route,
// whose cloud, and on AWS and Google Cloud whose region, must be the
// Snowflake account's.
func accountRegionApplies(req request.Request) bool {
	return accountregion.Applies(req.Route)
}

// rolesApply reports whether req names roles in repository.grant_to_roles.
func rolesApply(req request.Request) bool {
	return len(req.Repository.GrantToRoles) > 0
}

// defaultLevelApplies reports whether req sets its repository as a default.
func defaultLevelApplies(req request.Request) bool {
	return req.Repository.DefaultFor != "" && req.Repository.DefaultFor != "none"
}

// endpointApplies reports whether req makes a private endpoint in the
// Snowflake account.
func endpointApplies(req request.Request) bool {
	return privateLink(req.Route)
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
