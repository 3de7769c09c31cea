package preflight

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// checkLocation fails a run whose snowflake.database or snowflake.schema
// does not exist, or is hidden from snowflake.role, before anything is built
// for it. Without the check, the run would build its whole network and then
// fail in the secret step.
//
// SHOW ARTIFACT REPOSITORIES fails with "does not exist or not authorized"
// when the database or schema of its IN clause is missing, so running it
// first on the database and then on the schema finds which field is wrong.
func checkLocation(ctx context.Context, env *workflow.Env, req request.Request) error {
	sf := req.Snowflake
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return err
	}

	db := snowflake.Ident(sf.Database)
	_, err = conn.Query(ctx, "SHOW ARTIFACT REPOSITORIES IN DATABASE "+db)
	if snowflake.IsNotExist(err) {
		return workflow.Invalid("$.snowflake.database %s does not exist in Snowflake account %s, or role %s cannot see it; "+
			"create the database, grant the role USAGE on it, or set $.snowflake.database to an existing database",
			db, sf.Account, snowflake.Ident(sf.Role))
	}
	if err != nil {
		return fmt.Errorf("check $.snowflake.database %s: %w", db, err)
	}

	schema := snowflake.Qualified(sf.Database, sf.Schema)
	_, err = conn.Query(ctx, "SHOW ARTIFACT REPOSITORIES IN SCHEMA "+schema)
	if snowflake.IsNotExist(err) {
		return workflow.Invalid("$.snowflake.schema %s does not exist in database %s of Snowflake account %s, or role %s cannot see it; "+
			"create the schema, grant the role USAGE on it, or set $.snowflake.schema to an existing schema",
			snowflake.Ident(sf.Schema), db, sf.Account, snowflake.Ident(sf.Role))
	}
	if err != nil {
		return fmt.Errorf("check $.snowflake.schema %s: %w", schema, err)
	}
	return nil
}
