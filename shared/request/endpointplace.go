package request

import "fmt"

// MaxPrivateEndpoints is how many private endpoints Snowflake allows per
// account. Endpoints deprovisioned in the last PrivateEndpointKeptDays
// days count toward it.
const MaxPrivateEndpoints = 5

// PrivateEndpointKeptDays is how many days Snowflake keeps a deprovisioned
// private endpoint, restorable and counted toward MaxPrivateEndpoints.
const PrivateEndpointKeptDays = 7

// provisionsEndpoint reports whether a run of route provisions a Snowflake
// private endpoint, which its teardown deprovisions.
func provisionsEndpoint(route Route) bool {
	switch route {
	case RouteAWSPrivateLink, RouteAzurePrivateLink, RouteGCPPrivateLink:
		return true
	}
	return false
}

// TeardownEndpointCost returns the sentence that a rejection adds before
// its advice to tear down the run of earlier and then run a changed
// request, because that teardown deprovisions the endpoint of earlier and
// Snowflake still counts it. It returns "" for a route without a private
// endpoint.
func TeardownEndpointCost(earlier Request) string {
	if !provisionsEndpoint(earlier.Route) {
		return ""
	}
	return fmt.Sprintf("A teardown of that execution deprovisions its Snowflake private endpoint, which Snowflake "+
		"counts toward the account's maximum of %d private endpoints for %d days, so a later run that provisions "+
		"a new endpoint instead of restoring that one uses one more of the %d places until then",
		MaxPrivateEndpoints, PrivateEndpointKeptDays, MaxPrivateEndpoints)
}
