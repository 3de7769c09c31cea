// Package teardownsnowflake removes the Snowflake objects that provisioning
// created for a request. It drops the verification function and procedure
// if a run left them and unsets the default repository parameter where a
// run recorded setting it, and where it names the request's repository
// unless that repository stays because the request did not create it.
// Then it drops the ARTIFACT REPOSITORY, the API INTEGRATION and the
// SECRET, and the grants on them go with them. It also drops those that
// earlier runs of the request created under other names. It looks for them
// in the request's schema, in the schemas that earlier runs' requests named
// and in the schemas that runs recorded in workflow.Env.Locations, and for
// integrations anywhere in the account.
package teardownsnowflake

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the dropped repositories, reports deleted when any object
// existed, and lists the objects that the teardown found but kept.
type Output struct {
	workflow.Result
	Kept []Kept `json:"kept,omitempty"`
	// Notes name what the teardown changed that a person may want back,
	// such as a default repository that a run had replaced.
	Notes []string `json:"notes,omitempty"`
}

// Kept is an object that carries one of the request's names or its comment
// but stays in Snowflake, with the reason.
type Kept struct {
	// Type is the object type, such as ARTIFACT REPOSITORY.
	Type string `json:"type"`
	// Name is the fully qualified name for a repository or secret. For the
	// default repository parameter it is the object that sets it, such as
	// ACCOUNT or SCHEMA DB.SCHEMA.
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Run removes the objects in dependency order. Each removal is idempotent,
// so a retried or repeated teardown finds nothing and reports skipped. It
// drops only the objects whose COMMENT marks them as created for this
// request, so an object made by hand or for another request stays. The
// default repository parameter stays wherever it names such a kept
// repository, because the person or request that made the repository may
// have set the default, unless env.Defaults records that a run set it and
// it still names the repository that the run set. A failure on an object
// of an earlier run is logged and reported in Output.Kept, so that the
// teardown goes on to the network steps.
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
	var kept []Kept
	secretObject := stored(kindSecrets, sf.Database, sf.Schema, names.Secret)
	objects := []object{
		stored(kindRepositories, sf.Database, sf.Schema, names.Repository),
		stored(kindIntegrations, "", "", names.Integration),
		secretObject,
	}
	var drop []object
	// repositoryOrigin is the sfobject.Origin phrase of the repository under
	// the request's name, or "" when the request created it.
	repositoryOrigin := ""
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
		if origin := sfobject.Origin(row, req.ID); origin != "" {
			reason := "it was " + origin
			if obj.kind == kindRepositories {
				repositoryOrigin = origin
			}
			if env.Logger != nil {
				env.Logger.Warn("snowflake object kept", "kind", obj.kind, "name", obj.name, "request", req.ID, "reason", reason)
			}
			kept = append(kept, obj.kept(reason))
			continue
		}
		drop = append(drop, obj)
	}

	// Recorded defaults are unset first, regardless of who created the
	// repository, because a run of the request set them.
	unsetRecorded, keptRecorded, notes, err := unsetRecordedDefaults(ctx, env, conn, req)
	if err != nil {
		return Output{}, err
	}
	removed += unsetRecorded
	kept = append(kept, keptRecorded...)

	// A repository under the request's name that the request did not create
	// was made by hand and adopted by a run, or made for another request. Its
	// owner may have set a default that names it before any run, and that
	// default stays valid while the repository stays, so it is kept. The
	// default step leaves it alone by the same rule.
	if repositoryOrigin != "" {
		kept = append(kept, keptDefaults(ctx, env.Logger, conn, req, repo, repositoryOrigin)...)
	} else {
		unset, err := UnsetDefaults(ctx, conn, sf.Database, sf.Schema, repo)
		if err != nil {
			return Output{}, err
		}
		removed += unset
	}

	// Earlier runs of the request may have used another repository name.
	// The network that their objects point at is the request's, and this
	// teardown removes it, so their objects go too.
	named, recorded, err := namedEarlier(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	earlier, outside, err := earlierObjects(ctx, conn, req.ID, objects, named)
	if err != nil {
		return Output{}, err
	}
	for _, k := range outside {
		if env.Logger != nil {
			env.Logger.Warn("snowflake object kept", "type", k.Type, "name", k.Name, "request", req.ID, "reason", k.Reason)
		}
	}
	kept = append(kept, outside...)

	earlier, unsetEarlier, unsetFailed := unsetEarlierDefaults(ctx, env.Logger, conn, req.ID, earlier)
	removed += unsetEarlier
	kept = append(kept, unsetFailed...)
	drop = append(drop, earlier...)
	// Repositories name their integration, and integrations their secret,
	// so they go in that order.
	slices.SortStableFunc(drop, func(a, b object) int { return dropOrder[a.kind] - dropOrder[b.kind] })

	dropped, earlierRepos, failed, err := dropObjects(ctx, env.Logger, conn, req.ID, drop, earlier)
	if err != nil {
		return Output{}, err
	}
	removed += dropped
	kept = append(kept, failed...)
	if err := forgetLocations(ctx, env, recorded, append(unsetFailed, failed...)); err != nil {
		return Output{}, err
	}
	forgetCredentialExpiries(ctx, env, req, append([]object{secretObject}, drop...), named, kept)

	action := workflow.Skipped
	if removed > 0 {
		action = workflow.Deleted
	}
	// The ID lists every repository that went, so that the operator sees
	// those of earlier runs too.
	id := strings.Join(append([]string{repo}, earlierRepos...), ", ")
	return Output{Result: workflow.Result{Action: action, ID: id}, Kept: kept, Notes: notes}, nil
}

// keptDefaults returns the levels that set the default repository parameter
// to repo, the kept repository under the request's name, as entries of
// Output.Kept. Listing them only informs the operator, so a failed read is
// logged and the teardown goes on.
func keptDefaults(ctx context.Context, log *slog.Logger, conn snowflake.Conn, req request.Request, repo, origin string) []Kept {
	sf := req.Snowflake
	levels, err := defaultrepo.Stale(ctx, conn, sf, "", repo)
	if err != nil {
		if log != nil {
			log.Warn("list defaults of kept repository failed", "repository", repo, "request", req.ID, "error", err)
		}
		return nil
	}
	var kept []Kept
	for _, level := range levels {
		target, err := defaultrepo.Target(sf, level)
		if err != nil {
			continue
		}
		reason := "it names the kept repository " + repo + ", which was " + origin + ", so its owner may have set it"
		if log != nil {
			log.Info("default repository parameter kept", "target", target, "repository", repo, "request", req.ID, "reason", reason)
		}
		kept = append(kept, Kept{Type: snowflake.DefaultRepositoryParameter, Name: target, Reason: reason})
	}
	return kept
}

// isKept reports whether obj is in kept. A SECRET under the request's name
// that stays, such as one that another request created, keeps its expiry
// record, because its owner still renews or warns about it. A failed drop
// of the request's own SECRET fails the step before this check.
func isKept(kept []Kept, obj object) bool {
	for _, k := range kept {
		if k.Type == obj.objectType() && k.Name == obj.qualified() {
			return true
		}
	}
	return false
}

// forgetCredentialExpiries deletes the expiry record of each secret in
// dropped, the request's own and those that the teardown dropped, so that
// the poller neither renews nor warns about a credential that is gone. It
// also deletes the records that runs of req wrote for the other secrets in
// named, the secrets of earlier runs' requests and recorded locations. A
// secret in kept stays, so it keeps its record. A failure is
// logged, because the poller also drops the record of a renewable token
// once it finds the secret gone.
func forgetCredentialExpiries(ctx context.Context, env *workflow.Env, req request.Request, dropped, named []object, kept []Kept) {
	if env.Credentials == nil {
		return
	}
	account := req.Snowflake.Account
	forgotten := map[string]bool{}
	for _, obj := range dropped {
		if obj.kind != kindSecrets || isKept(kept, obj) || forgotten[obj.qualified()] {
			continue
		}
		forgotten[obj.qualified()] = true
		key := workflow.CredentialKey(account, obj.qualified())
		if err := env.Credentials.Delete(ctx, key); err != nil && env.Logger != nil {
			env.Logger.Warn("delete credential expiry failed", "secret", obj.qualified(), "request", req.ID, "error", err)
		}
	}
	for _, obj := range named {
		if obj.kind != kindSecrets || isKept(kept, obj) || forgotten[obj.qualified()] {
			continue
		}
		forgotten[obj.qualified()] = true
		key := workflow.CredentialKey(account, obj.qualified())
		err := env.Credentials.Update(ctx, key, func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
			if stored != nil && stored.Request.ID != req.ID {
				return stored, nil
			}
			return nil, nil
		})
		if err != nil && env.Logger != nil {
			env.Logger.Warn("delete credential expiry failed", "secret", obj.qualified(), "request", req.ID, "error", err)
		}
	}
}

// dropObjects drops the objects in order and returns how many it dropped
// and the qualified names of the dropped repositories of earlier runs. An
// object of an earlier run may sit where this role cannot drop it, and
// failing the step would stop the teardown before the network steps on
// every retry. So a failed drop of an object in earlier is logged and
// returned in failed. A failed drop of any other object returns the error.
func dropObjects(ctx context.Context, log *slog.Logger, conn snowflake.Conn, requestID string, drop, earlier []object) (dropped int, earlierRepos []string, failed []Kept, err error) {
	for _, obj := range drop {
		isEarlier := slices.Contains(earlier, obj)
		err := conn.Exec(ctx, obj.drop())
		if err != nil && !isEarlier {
			return dropped, earlierRepos, failed, fmt.Errorf("drop %s %s: %w", strings.ToLower(obj.objectType()), obj.qualified(), err)
		}
		if err != nil {
			if log != nil {
				log.Warn("snowflake object of an earlier run kept because its drop failed", "type", obj.objectType(), "name", obj.qualified(), "request", requestID, "error", err)
			}
			failed = append(failed, obj.kept("the drop failed: "+err.Error()))
			continue
		}
		dropped++
		if !isEarlier {
			continue
		}
		if log != nil {
			log.Info("snowflake object of an earlier run dropped", "kind", obj.kind, "name", obj.qualified(), "request", requestID)
		}
		if obj.kind == kindRepositories {
			earlierRepos = append(earlierRepos, obj.qualified())
		}
	}
	return dropped, earlierRepos, failed, nil
}

// unsetEarlierDefaults unsets the default repository parameter wherever it
// names one of the earlier repositories. It returns the objects that can
// still be dropped, the number of parameters unset, and the repositories
// that stay because the unset failed, since dropping a repository that a
// default still names breaks new functions.
func unsetEarlierDefaults(ctx context.Context, log *slog.Logger, conn snowflake.Conn, requestID string, earlier []object) ([]object, int, []Kept) {
	var keep []object
	var failed []Kept
	unset := 0
	for _, obj := range earlier {
		if obj.kind != kindRepositories {
			keep = append(keep, obj)
			continue
		}
		n, err := UnsetDefaults(ctx, conn, obj.database, obj.schema, obj.qualified())
		unset += n
		if err != nil {
			if log != nil {
				log.Warn("snowflake object of an earlier run kept because unsetting the default repository failed", "type", obj.objectType(), "name", obj.qualified(), "request", requestID, "error", err)
			}
			failed = append(failed, obj.kept("unsetting the default repository failed: "+err.Error()))
			continue
		}
		keep = append(keep, obj)
	}
	return keep, unset, failed
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

// objectType returns the object type as DROP and CREATE spell it.
func (o object) objectType() string {
	switch o.kind {
	case kindRepositories:
		return "ARTIFACT REPOSITORY"
	case kindIntegrations:
		return "API INTEGRATION"
	default:
		return "SECRET"
	}
}

func (o object) drop() string {
	return "DROP " + o.objectType() + " IF EXISTS " + o.qualified()
}

func (o object) kept(reason string) Kept {
	return Kept{Type: o.objectType(), Name: o.qualified(), Reason: reason}
}

// earlierObjects returns the repositories, integrations and secrets in the
// account whose COMMENT marks them as created for requestID, other than
// current, the objects under the request's present names. Repositories
// and secrets count in the schema of current, and elsewhere only when they
// are among named, the objects that earlier runs' requests named. The
// others in another database or schema come back as outside, because a
// zero-copy clone or a replica of the request's database copies them with
// their comment, and the copies belong to the owner of the clone. An
// object in named without the request's comment also comes back as
// outside, because a person or another request has made it theirs. A kind
// that the role cannot list in the account is an error, because a teardown
// that skipped them would leave objects pointing at a removed network.
//
// NOTE: an earlier run in another Snowflake account is out of reach, so
// its repository and secret stay.
func earlierObjects(ctx context.Context, conn snowflake.Conn, requestID string, current, named []object) (found []object, outside []Kept, err error) {
	var database, schema string
	for _, obj := range current {
		if obj.kind != kindIntegrations {
			database, schema = obj.database, obj.schema
		}
	}
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
			return nil, nil, fmt.Errorf("list %s of request %s: %w", strings.ToLower(kind), requestID, err)
		}
		for _, row := range rows {
			obj := object{kind: kind, name: row["name"]}
			if kind != kindIntegrations {
				obj.database, obj.schema = row["database_name"], row["schema_name"]
				if obj.database == "" || obj.schema == "" {
					continue
				}
			}
			if origin := sfobject.Origin(row, requestID); origin != "" {
				// An object that an earlier run named but that a person
				// made or changed, or that another request created since,
				// is not the request's.
				if slices.Contains(named, obj) && !slices.Contains(current, obj) {
					outside = append(outside, obj.kept("an earlier run of the request named it, but it was "+origin))
				}
				continue
			}
			if kind != kindIntegrations {
				if (obj.database != database || obj.schema != schema) && !slices.Contains(named, obj) {
					home := snowflake.StoredIdent(database) + "." + snowflake.StoredIdent(schema)
					outside = append(outside, obj.kept("it is outside the request's schema "+home+", as in a clone or replica of it"))
					continue
				}
			}
			if !slices.Contains(current, obj) {
				found = append(found, obj)
			}
		}
	}
	return found, outside, nil
}

// namedEarlier returns the repositories and secrets that the requests in
// env.EarlierRequests named, and those at the locations in env.Locations,
// in the Snowflake account of req. It also returns the recorded locations
// in that account, which the teardown deletes once their objects are gone.
func namedEarlier(ctx context.Context, env *workflow.Env, req request.Request) ([]object, []workflow.ObjectLocation, error) {
	var locations []workflow.ObjectLocation
	if env.EarlierRequests != nil {
		requests, err := env.EarlierRequests(ctx, req.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("list earlier runs of request %s: %w", req.ID, err)
		}
		for _, r := range requests {
			locations = append(locations, workflow.LocationOf(r))
		}
	}
	var recorded []workflow.ObjectLocation
	if env.Locations != nil {
		list, err := env.Locations.List(ctx, req.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("list the object locations of request %s: %w", req.ID, err)
		}
		for _, l := range list {
			if request.SameAccount(l.Account, req.Snowflake.Account) {
				recorded = append(recorded, l)
			}
		}
		locations = append(locations, recorded...)
	}

	var named []object
	for _, l := range locations {
		if !request.SameAccount(l.Account, req.Snowflake.Account) {
			continue
		}
		named = append(named, locationObjects(l)...)
	}
	return named, recorded, nil
}

// locationObjects returns the repository and the secret at l.
func locationObjects(l workflow.ObjectLocation) []object {
	return []object{
		stored(kindRepositories, l.Database, l.Schema, l.Repository),
		stored(kindSecrets, l.Database, l.Schema, l.Secret),
	}
}

// forgetLocations deletes the recorded locations whose objects are gone. It
// keeps those with an object in failed, the objects that stay because a
// drop or an unset failed, so that the next teardown tries again. A
// location whose object a person or another request took over is deleted,
// because that object is no longer the request's.
func forgetLocations(ctx context.Context, env *workflow.Env, recorded []workflow.ObjectLocation, failed []Kept) error {
	for _, l := range recorded {
		if slices.ContainsFunc(locationObjects(l), func(obj object) bool { return isKept(failed, obj) }) {
			continue
		}
		if err := env.Locations.Delete(ctx, l); err != nil {
			return fmt.Errorf("delete the object location record of request %s in %s.%s: %w", l.Request, l.Database, l.Schema, err)
		}
	}
	return nil
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
