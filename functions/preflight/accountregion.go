package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/internal/accountregion"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkAccountRegion fails a private-link run whose Snowflake account is on
// another cloud, or whose aws.region or gcp.region is not the account's
// region, before anything is built for it. Without the check, the run
// would build its network where Snowflake's endpoint cannot reach it.
func checkAccountRegion(ctx context.Context, env *workflow.Env, req request.Request) error {
	if !accountRegionApplies(req) {
		return nil
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return err
	}
	return accountregion.Check(ctx, conn, req)
}
