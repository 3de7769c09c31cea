// Package teardownsnowflake removes the Snowflake objects that provisioning
// created for a request. It drops the verification function and procedure
// if a run left them and unsets the default repository parameter where it
// names the repository. Then it drops the ARTIFACT REPOSITORY, the API
// INTEGRATION and the SECRET, and the grants on them go with them.
package teardownsnowflake

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the repository and reports deleted when any object existed.
type Output = workflow.Result

// Run removes the objects in dependency order. Each removal is idempotent,
// so a retried or repeated teardown finds nothing and reports skipped. It
// drops only the objects whose COMMENT marks them as created for this
// request, so an object made by hand or for another request stays.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	repo := sfobject.Qualified(sf, names.Repository)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	// Verification objects are temporary, so only a session that is still
	// open can hold them; dropping them costs two statements.
	for _, stmt := range []string{
		snowflake.DropVerifyFunction(sf.Database, sf.Schema, names.Function),
		snowflake.DropVerifyProcedure(sf.Database, sf.Schema, names.Procedure),
	} {
		if err := conn.Exec(ctx, stmt); err != nil && !snowflake.IsNotExist(err) {
			return Output{}, fmt.Errorf("drop verification leftovers of %s: %w", repo, err)
		}
	}

	removed := 0
	unset, err := UnsetDefaults(ctx, conn, sf.Database, sf.Schema, repo)
	if err != nil {
		return Output{}, err
	}
	removed += unset

	objects := []struct {
		kind, name, scope, drop string
	}{
		{"ARTIFACT REPOSITORIES", names.Repository, sfobject.InSchema(sf), snowflake.DropArtifactRepository(sf.Database, sf.Schema, names.Repository)},
		{"API INTEGRATIONS", names.Integration, "", snowflake.DropAPIIntegration(names.Integration)},
		{"SECRETS", names.Secret, sfobject.InSchema(sf), snowflake.DropSecret(sf.Database, sf.Schema, names.Secret)},
	}
	for _, obj := range objects {
		row, err := sfobject.Find(ctx, conn, obj.kind, obj.name, obj.scope)
		if snowflake.IsNotExist(err) {
			// The database or schema is gone, and the object with it.
			continue
		}
		if err != nil {
			return Output{}, err
		}
		if row == nil {
			continue
		}
		if owner := sfobject.Owner(row); owner != req.ID {
			reason := "it was not created by repolink"
			if owner != "" {
				reason = "it was created for request " + owner
			}
			if env.Logger != nil {
				env.Logger.Warn("snowflake object kept", "kind", obj.kind, "name", obj.name, "request", req.ID, "reason", reason)
			}
			continue
		}
		if err := conn.Exec(ctx, obj.drop); err != nil {
			return Output{}, fmt.Errorf("drop %s %s: %w", strings.ToLower(obj.kind), obj.name, err)
		}
		removed++
	}

	action := workflow.Skipped
	if removed > 0 {
		action = workflow.Deleted
	}
	return Output{Action: action, ID: repo}, nil
}

// levels are the objects that DEFAULT_PYTHON_ARTIFACT_REPOSITORY can be set
// on, as SHOW PARAMETERS reports them in its level column.
var levels = []string{snowflake.LevelAccount, snowflake.LevelDatabase, snowflake.LevelSchema}

// UnsetDefaults unsets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on the account,
// the database and the schema wherever it is set to repo, and returns how
// many it unset. Every level is checked, whatever the request's
// default_for, because a default that names a dropped repository breaks
// every new function that relies on it. A value inherited from a higher
// level is left to that level.
func UnsetDefaults(ctx context.Context, conn snowflake.Conn, database, schema, repo string) (int, error) {
	unset := 0
	for _, level := range levels {
		show, err := snowflake.ShowDefaultRepository(level, database, schema)
		if err != nil {
			return unset, err
		}
		rows, err := conn.Query(ctx, show)
		if snowflake.IsNotExist(err) {
			continue
		}
		if err != nil {
			return unset, fmt.Errorf("read %s on the %s: %w", snowflake.DefaultRepositoryParameter, level, err)
		}
		if !setHere(rows, level, repo) {
			continue
		}
		stmt, err := snowflake.UnsetDefaultRepository(level, database, schema)
		if err != nil {
			return unset, err
		}
		if err := conn.Exec(ctx, stmt); err != nil {
			return unset, fmt.Errorf("unset %s on the %s: %w", snowflake.DefaultRepositoryParameter, level, err)
		}
		unset++
	}
	return unset, nil
}

// setHere reports whether a SHOW PARAMETERS row sets the parameter to repo
// on level itself rather than inheriting it.
func setHere(rows []snowflake.Row, level, repo string) bool {
	for _, row := range rows {
		if !strings.EqualFold(row["key"], snowflake.DefaultRepositoryParameter) {
			continue
		}
		if strings.EqualFold(row["level"], level) && defaultrepo.SameRepository(row["value"], repo) {
			return true
		}
	}
	return false
}
