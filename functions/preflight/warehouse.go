package preflight

import (
	"context"
	"errors"
	"fmt"

	"github.com/repolink/repolink/functions/verify"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// checkWarehouse fails a run whose Snowflake session has no warehouse,
// before anything is built for it. Snowflake accepts a login that names a
// missing warehouse, or none for a user without a default warehouse, and
// leaves the session without one. Without the check, the verification
// step would fail with error 000606 after the other steps built
// everything. CURRENT_WAREHOUSE() returns NULL in such a session and needs
// no warehouse itself.
//
// NOTE: a warehouse that the session has but on which the role may not
// run functions passes the check. Whether Snowflake puts a warehouse
// without USAGE for the role into the session at login is not confirmed.
func checkWarehouse(ctx context.Context, env *workflow.Env, req request.Request) error {
	sf := req.Snowflake
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return err
	}
	warehouse, err := snowflake.Scalar(ctx, conn, "SELECT CURRENT_WAREHOUSE()")
	if err != nil {
		return fmt.Errorf("check the session's warehouse: %w", err)
	}
	if warehouse == "" {
		return verify.NoWarehouse(sf, errors.New("CURRENT_WAREHOUSE() of the session is NULL"))
	}
	return nil
}
