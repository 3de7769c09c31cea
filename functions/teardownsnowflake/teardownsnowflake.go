// Package teardownsnowflake removes the Snowflake objects that provisioning
// created for a request. It drops the verification function and procedure
// if a run left them and unsets the default repository parameter where it
// names the repository. Then it drops the ARTIFACT REPOSITORY, the API
// INTEGRATION and the SECRET, and the grants on them go with them, also
// those that earlier runs of the request created under other names.
package teardownsnowflake

import (
	"context"
	"fmt"
	"slices"
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

	objects := []object{
		stored(kindRepositories, sf.Database, sf.Schema, names.Repository),
		stored(kindIntegrations, "", "", names.Integration),
		stored(kindSecrets, sf.Database, sf.Schema, names.Secret),
	}
	var drop []object
	for _, obj := range objects {
		scope := ""
		if obj.kind != kindIntegrations {
			scope = sfobject.InSchema(sf)
		}
		row, err := sfobject.Find(ctx, conn, obj.kind, obj.name, scope)
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
		drop = append(drop, obj)
	}

	// Earlier runs of the request may have used another repository name or
	// schema. The network that their objects point at is the request's, and
	// this teardown removes it, so their objects go too.
	earlier, err := earlierObjects(ctx, conn, req.ID, objects)
	if err != nil {
		return Output{}, err
	}
	removedRepos := []string{repo}
	for _, obj := range earlier {
		if obj.kind != kindRepositories {
			continue
		}
		qualified := obj.qualified()
		unset, err := UnsetDefaults(ctx, conn, obj.database, obj.schema, qualified)
		if err != nil {
			return Output{}, err
		}
		removed += unset
		removedRepos = append(removedRepos, qualified)
	}
	drop = append(drop, earlier...)
	// Repositories name their integration, and integrations their secret,
	// so they go in that order.
	slices.SortStableFunc(drop, func(a, b object) int { return dropOrder[a.kind] - dropOrder[b.kind] })

	for _, obj := range drop {
		if err := conn.Exec(ctx, obj.drop()); err != nil {
			return Output{}, fmt.Errorf("drop %s %s: %w", strings.ToLower(obj.kind), obj.name, err)
		}
		if env.Logger != nil && slices.Contains(earlier, obj) {
			env.Logger.Info("snowflake object of an earlier run dropped", "kind", obj.kind, "name", obj.qualified(), "request", req.ID)
		}
		removed++
	}

	action := workflow.Skipped
	if removed > 0 {
		action = workflow.Deleted
	}
	// The ID lists every repository that went, so that the operator sees
	// those of earlier runs too.
	return Output{Action: action, ID: strings.Join(removedRepos, ", ")}, nil
}

// SHOW kinds of the objects that a request creates.
const (
	kindRepositories = "ARTIFACT REPOSITORIES"
	kindIntegrations = "API INTEGRATIONS"
	kindSecrets      = "SECRETS"
)

// dropOrder sorts objects so that nothing is dropped before what names it.
var dropOrder = map[string]int{kindRepositories: 0, kindIntegrations: 1, kindSecrets: 2}

// object is a Snowflake object that teardown drops, with its names as SHOW
// prints them.
type object struct {
	kind             string
	database, schema string // empty for an integration
	name             string
}

// stored returns the object that a request's names create.
func stored(kind, database, schema, name string) object {
	return object{kind: kind, database: snowflake.StoredName(database), schema: snowflake.StoredName(schema), name: snowflake.StoredName(name)}
}

func (o object) qualified() string {
	if o.kind == kindIntegrations {
		return snowflake.StoredIdent(o.name)
	}
	return snowflake.StoredIdent(o.database) + "." + snowflake.StoredIdent(o.schema) + "." + snowflake.StoredIdent(o.name)
}

func (o object) drop() string {
	switch o.kind {
	case kindRepositories:
		return "DROP ARTIFACT REPOSITORY IF EXISTS " + o.qualified()
	case kindIntegrations:
		return "DROP API INTEGRATION IF EXISTS " + o.qualified()
	default:
		return "DROP SECRET IF EXISTS " + o.qualified()
	}
}

// earlierObjects returns the repositories, integrations and secrets in the
// account whose COMMENT marks them as created for requestID, other than
// current, the objects under the request's present names. A kind that the
// role cannot list in the account is an error, because a teardown that
// skipped them would leave objects pointing at a removed network.
//
// NOTE: an earlier run in another Snowflake account is out of reach of
// this connection, so its objects stay.
func earlierObjects(ctx context.Context, conn snowflake.Conn, requestID string, current []object) ([]object, error) {
	var found []object
	for _, kind := range []string{kindRepositories, kindIntegrations, kindSecrets} {
		stmt := "SHOW " + kind
		if kind != kindIntegrations {
			stmt += " IN ACCOUNT"
		}
		rows, err := conn.Query(ctx, stmt)
		if snowflake.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s of request %s: %w", strings.ToLower(kind), requestID, err)
		}
		for _, row := range rows {
			if sfobject.Owner(row) != requestID {
				continue
			}
			obj := object{kind: kind, name: row["name"]}
			if kind != kindIntegrations {
				obj.database, obj.schema = row["database_name"], row["schema_name"]
				if obj.database == "" || obj.schema == "" {
					continue
				}
			}
			if !slices.Contains(current, obj) {
				found = append(found, obj)
			}
		}
	}
	return found, nil
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
