package sandbox

import (
	"fmt"

	"github.com/repolink/repolink/shared/request"
)

// seedAccountCloud gives the Snowflake account the cloud of a private-link
// request's route as its pending cloud, so that
// SYSTEM$GET_PRIVATELINK_CONFIG returns the keys of that cloud. The first
// private endpoint provisioned for the account fixes it. A later request
// for the account on another cloud then fails preflight, as it would on
// Snowflake, where an account stays on the cloud it was created on.
func (sb *Sandbox) seedAccountCloud(req request.Request) error {
	switch req.Route {
	case request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
	default:
		return nil
	}
	if err := sb.Snowflake.ProposeAccountCloud(req.Snowflake.Account, req.RouteCloud()); err != nil {
		return fmt.Errorf("seed cloud of snowflake account %s: %w", req.Snowflake.Account, err)
	}
	return nil
}
