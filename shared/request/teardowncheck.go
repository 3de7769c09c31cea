package request

import (
	"fmt"
	"strings"
)

// ValidateForTeardown checks only what the teardown steps need to find and
// remove a request's resources safely, and returns a *ValidationError
// listing the invalid fields, or nil. A request that an earlier version
// accepted and provisioned must stay removable after Validate gets
// stricter, so the rules that only shape new resources are left out.
//
// It keeps the checks on the values that pick the account, host or API
// path that a teardown step calls. These are the Snowflake account, which
// is the login host and so receives the credential, the credential
// reference schemes and the cloud fields that go into cloud API requests.
// Names and the ID only need to be present and free of control
// characters, because the steps quote names with snowflake.Ident and
// snowflake.Literal, derive resource names with workflow.ShortID, and
// print names and the ID.
func (r *Request) ValidateForTeardown() error {
	return r.validateForTeardown(&validator{})
}

// validateForTeardown is ValidateForTeardown with v, which may already
// hold the paths of fields that the shape checks reported.
func (r *Request) validateForTeardown(v *validator) error {
	if v.require("$.id", r.ID, "set it to the ID of the request that was provisioned") {
		v.printable("$.id", r.ID, "remove it")
	}
	switch r.Route {
	case RouteAWSPrivateLink, RouteAzurePrivateLink, RouteGCPPrivateLink, RouteEgressIP, RoutePublic:
		v.teardownRouteBlock(r)
	case "":
		v.add("$.route", "missing; set it to the route of the request that was provisioned")
	default:
		v.add("$.route", fmt.Sprintf("unknown route %q; use aws-privatelink, azure-privatelink, gcp-privatelink, egress-ip or public", r.Route))
	}
	v.teardownSnowflake(&r.Snowflake)
	v.printedName("$.repository.name", r.Repository.Name, "set the artifact repository name of the request that was provisioned")
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

// teardownRouteBlock requires the block of the request's route, because
// the teardown steps of a route read it without a nil check, and checks
// the fields of the block that the teardown steps read.
func (v *validator) teardownRouteBlock(r *Request) {
	block, present := r.RouteBlock(r.Route)
	if block == "" {
		return
	}
	if !present {
		v.add("$."+block, fmt.Sprintf("missing; the %s route needs it", r.Route))
		return
	}
	switch block {
	case "aws":
		v.awsRegion("$.aws.region", r.AWS.Region)
	case "azure":
		a := r.Azure
		if v.require("$.azure.subscription_id", a.SubscriptionID, "set the subscription ID") && !guidPattern.MatchString(a.SubscriptionID) {
			v.add("$.azure.subscription_id", "must be a GUID such as 00000000-0000-0000-0000-000000000000")
		}
		if v.require("$.azure.resource_group", a.ResourceGroup, "set the resource group") && !resourceGroupPattern.MatchString(a.ResourceGroup) {
			v.add("$.azure.resource_group", "must be 1 to 90 letters, digits, '-', '_', '.', '(' or ')' and must not end with '.'")
		}
	case "gcp":
		g := r.GCP
		if v.require("$.gcp.project", g.Project, "set the project ID") && !gcpProjectPattern.MatchString(g.Project) {
			v.add("$.gcp.project", fmt.Sprintf("%q is not a project ID; use 6 to 30 lower-case letters, digits and hyphens", g.Project))
		}
		if v.require("$.gcp.region", g.Region, "set the region, such as us-central1") && !gcpRegionPattern.MatchString(g.Region) {
			v.add("$.gcp.region", fmt.Sprintf("%q is not a region; use a name such as us-central1", g.Region))
		}
		// Teardown skips the subnet when psc_subnet is empty, but a
		// present name goes into the Compute Engine request path.
		if g.PSCSubnet != "" && !gcpNamePattern.MatchString(g.PSCSubnet) {
			v.add("$.gcp.psc_subnet", "must be a resource name: lower-case letters, digits and hyphens, starting with a letter")
		}
	case "egress":
		v.egressLocation(r.Egress)
	}
}

// RouteBlock returns the name of the block that the steps of route read,
// such as "aws", and whether the request has it. The name is "" for a
// route without a block of its own, such as public.
func (r *Request) RouteBlock(route Route) (block string, present bool) {
	switch route {
	case RouteAWSPrivateLink:
		return "aws", r.AWS != nil
	case RouteAzurePrivateLink:
		return "azure", r.Azure != nil
	case RouteGCPPrivateLink:
		return "gcp", r.GCP != nil
	case RouteEgressIP:
		return "egress", r.Egress != nil
	}
	return "", false
}

// awsRegion requires an AWS region name, which picks the API endpoint.
func (v *validator) awsRegion(path, region string) {
	if v.require(path, region, "set the region, such as us-west-2") && !isAWSRegion(region) {
		v.add(path, fmt.Sprintf("%q is not an AWS region; use a name such as us-west-2", region))
	}
}

// teardownSnowflake checks the login and the schema that the teardown
// steps search. The account must be an account identifier, because it
// forms the host that receives the credential.
func (v *validator) teardownSnowflake(s *Snowflake) {
	if v.require("$.snowflake.account", s.Account, "set the account identifier, such as myorg-analytics") {
		if strings.Contains(s.Account, "://") || !accountPattern.MatchString(s.Account) {
			v.add("$.snowflake.account", "must be an account identifier such as myorg-analytics or xy12345.us-east-1")
		}
	}
	v.printedName("$.snowflake.user", s.User, "set the service user that repolink logs in as")
	switch {
	case s.PrivateKeyRef == "" && s.PasswordRef == "":
		v.add("$.snowflake.private_key_ref", "missing; set private_key_ref (key-pair login) or password_ref")
	case s.PrivateKeyRef != "":
		v.refScheme("$.snowflake.private_key_ref", s.PrivateKeyRef)
	default:
		v.refScheme("$.snowflake.password_ref", s.PasswordRef)
	}
	v.printedName("$.snowflake.database", s.Database, "set the database of the artifact repository")
	v.printedName("$.snowflake.schema", s.Schema, "set the schema of the artifact repository")
}

// printedName requires a name that the teardown may print in its output
// and logs, and rejects control and bidirectional formatting
// characters, which would let the name change what the terminal shows.
func (v *validator) printedName(path, value, hint string) {
	if v.require(path, value, hint) {
		v.printable(path, value, "remove it")
	}
}

// refScheme checks only that value is a credential reference with
// something after its scheme, without echoing it, so that a literal
// credential is never sent to a resolver. The resolver reports a malformed
// reference when it reads it.
func (v *validator) refScheme(path, value string) {
	if problem := RefSchemeProblem(value); problem != "" {
		v.add(path, problem)
	}
}

// ParseForTeardown decodes a request like Parse, with the same shape
// checks, but validates it with ValidateForTeardown. It is for the input
// of a teardown execution only.
func ParseForTeardown(data []byte) (Request, error) {
	return parse(data, (*Request).validateForTeardown, false)
}

// ParseJSONForTeardown is ParseForTeardown for a request that arrives as
// JSON, as ParseJSON is for Parse.
func ParseJSONForTeardown(data []byte) (Request, error) {
	return parse(data, (*Request).validateForTeardown, true)
}
