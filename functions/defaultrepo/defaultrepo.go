// Package defaultrepo sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on the level
// that repository.default_for names: account, database or schema. It unsets
// the parameter on the other levels where an earlier run set it to the
// request's repository, and on every level that names the repository when
// the request created it.
package defaultrepo

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the level that was set, what the step did, and notes naming
// values that earlier runs replaced on the levels that the step unset.
type Output = workflow.Default

const parameter = "DEFAULT_PYTHON_ARTIFACT_REPOSITORY"

// Run sets the parameter on the requested level when that level does not
// set it to the request's repository itself. It fails with a Conflict, and
// sets nothing, when that level names the repository that a run of another
// request set there, or that another request claimed. Setting it on the
// account affects every new Python function and procedure in the account,
// so it is opt-in. Before it sets a level, Run takes the level's claim and
// records the level in env.Defaults. It releases the claims of the levels
// whose records it deletes, and its claims on the other levels of the
// request's database and schema.
//
// Run then unsets the parameter on every other level that env.Defaults
// records as set by a run, such as the schema after default_for changed
// from schema to database, when that level still names the repository that
// the run set. That includes a level of the database or schema that the
// request named before it changed them. A recorded level that names
// another repository now was changed by a person, so it stays, and the
// output reports it. A level that no run set but that names the request's
// repository is unset too when the request created the repository. It
// stays when the repository was made by hand and adopted by a run, because
// the repository's owner may have set it. Teardown keeps such defaults by
// the same rule, and unsets the recorded ones.
//
// When the requested level names another repository that no run of the
// request set, Run still sets it, because default_for requests that level,
// but its output and a warning in the log name the value it replaced. The
// record stores that value. Unsetting the level does not restore it, so a
// later run that unsets the level after default_for moved names the value
// again in its ID, notes and log.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	level := req.Repository.DefaultFor
	if level == "none" {
		level = ""
	}
	target := ""
	if level != "" {
		var err error
		if target, err = Target(sf, level); err != nil {
			return Output{}, err
		}
	}
	names := workflow.NamesFor(req)
	repo := sfobject.Qualified(sf, names.Repository)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	changed := false
	replaced := ""
	if target != "" {
		set, err := IsSet(ctx, conn, target, level, repo)
		if err != nil {
			return Output{}, err
		}
		if !set {
			// Records that runs wrote before level claims existed have no
			// claim, so only this check finds another request's level.
			claim, err := Claim(ctx, env.Defaults, conn, req, level, target)
			if err != nil {
				return Output{}, err
			}
			if claim != nil {
				return Output{}, ClaimConflict(*claim)
			}
		}
		// Taking the claim is one conditional write, so when two requests
		// pass the checks above at the same time, only one continues.
		if err := TakeLevel(ctx, env.Defaults, conn, req, level, target, repo, set); err != nil {
			return Output{}, err
		}
		if !set {
			if replaced, err = Replaced(ctx, env.Defaults, conn, req, level, target, repo); err != nil {
				return Output{}, err
			}
			// The record comes first, so that a run that fails after the
			// ALTER still leaves the level recorded as its own.
			if err := record(ctx, env.Defaults, req, level, target, repo, replaced); err != nil {
				return Output{}, err
			}
			if err := conn.Exec(ctx, "ALTER "+target+" SET "+parameter+" = "+repo); err != nil {
				return Output{}, fmt.Errorf("set %s on %s: %w", parameter, target, err)
			}
			if err := MarkLevelSet(ctx, env.Defaults, req, target); err != nil {
				return Output{}, err
			}
			changed = true
			if replaced != "" && env.Logger != nil {
				env.Logger.Warn("default repository parameter replaced a value that no run of the request set",
					"target", target, "previous", replaced, "repository", repo, "request", req.ID)
			}
		}
	}

	others, err := FindOthers(ctx, env.Defaults, conn, req, level)
	if err != nil {
		return Output{}, err
	}
	if len(others.Kept) > 0 && env.Logger != nil {
		env.Logger.Info("default repository parameter kept on other levels", "levels", others.Kept,
			"repository", repo, "request", req.ID, "reason", "the repository was "+others.Origin)
	}
	stale := others.Unset
	for _, l := range stale {
		stmt, err := snowflake.UnsetDefaultRepository(l, sf.Database, sf.Schema)
		if err != nil {
			return Output{}, err
		}
		if err := conn.Exec(ctx, stmt); err != nil {
			return Output{}, fmt.Errorf("unset %s on the %s, which $.repository.default_for no longer names: %w", parameter, l, err)
		}
		changed = true
	}
	for _, d := range others.Elsewhere {
		if err := UnsetRecorded(ctx, conn, d); err != nil {
			return Output{}, err
		}
		changed = true
	}
	for _, d := range others.Forget {
		if err := env.Defaults.Delete(ctx, d.Key()); err != nil {
			return Output{}, fmt.Errorf("delete the record of the %s that a run set on %s: %w", parameter, d.Target, err)
		}
		if err := ReleaseLevel(ctx, env.Defaults, req, d.Target); err != nil {
			return Output{}, err
		}
	}
	if err := ReleaseOtherLevels(ctx, env.Defaults, req, level); err != nil {
		return Output{}, err
	}
	for _, d := range others.Replaced {
		if env.Logger != nil {
			env.Logger.Warn("default repository parameter unset on a level where a run had replaced a value",
				"target", d.Target, "previous", d.Replaced, "repository", d.Repository, "request", req.ID)
		}
	}
	if len(others.Left) > 0 && env.Logger != nil {
		env.Logger.Info("default repository parameter left on other levels", "levels", others.Left,
			"repository", repo, "request", req.ID, "reason", "it names another repository now")
	}

	id := target
	if id == "" {
		id = "none"
	}
	if replaced != "" {
		id += "; " + ReplacedDetail(replaced, req.ID)
	}
	if len(stale) > 0 {
		id += "; unset on the " + strings.Join(stale, ", ")
	}
	for _, target := range others.ElsewhereTargets() {
		id += "; unset on " + target
	}
	if len(others.Kept) > 0 {
		id += "; " + others.KeptDetail()
	}
	for _, detail := range others.LeftDetail() {
		id += "; " + detail
	}
	for _, d := range others.Replaced {
		id += "; " + d.Target + " was " + d.Replaced + " before a run replaced it, and is now unset"
	}
	out := Output{Result: workflow.Result{Action: workflow.Adopted, ID: id}, Notes: others.ReplacedNotes()}
	switch {
	case changed:
		out.Action = workflow.Updated
	case target == "":
		out.Action = workflow.Skipped
	}
	return out, nil
}

// ReplacedDetail returns the phrase for a value that the default step
// replaced and that no run of the request with ID request set.
func ReplacedDetail(value, request string) string {
	return "replaced " + value + ", which no run of request " + request + " set"
}

// levels are the levels that DEFAULT_PYTHON_ARTIFACT_REPOSITORY can be set
// on, from the broadest.
var levels = []string{snowflake.LevelAccount, snowflake.LevelDatabase, snowflake.LevelSchema}

// Stale returns the levels other than keep that set the parameter to the
// rendered repository name repo on the level itself, not by inheritance. A
// level whose database or schema does not exist sets nothing. It only runs
// SHOW PARAMETERS, so plan uses it too.
func Stale(ctx context.Context, conn snowflake.Conn, sf request.Snowflake, keep, repo string) ([]string, error) {
	values, err := ownValues(ctx, conn, sf, keep)
	if err != nil {
		return nil, err
	}
	return levelsSetTo(values, repo), nil
}

// ownValues reads the parameter on every level except keep and maps each
// level to the value that it sets itself. The value is "" when the level
// sets none or its database or schema does not exist.
func ownValues(ctx context.Context, conn snowflake.Conn, sf request.Snowflake, keep string) (map[string]string, error) {
	values := map[string]string{}
	for _, level := range levels {
		if level == keep {
			continue
		}
		target, err := Target(sf, level)
		if err != nil {
			return nil, err
		}
		value, err := ownValue(ctx, conn, target, level)
		if err != nil && !snowflake.IsNotExist(err) {
			return nil, err
		}
		values[level] = value
	}
	return values, nil
}

// levelsSetTo returns the levels, from the broadest, whose value in values
// is the rendered repository name repo.
func levelsSetTo(values map[string]string, repo string) []string {
	var set []string
	for _, level := range levels {
		if value := values[level]; value != "" && SameRepository(value, repo) {
			set = append(set, level)
		}
	}
	return set
}

// Target returns the object that repository.default_for names, as ALTER
// and SHOW PARAMETERS IN take it: ACCOUNT, DATABASE db or SCHEMA db.schema.
func Target(sf request.Snowflake, level string) (string, error) {
	switch level {
	case "account":
		return "ACCOUNT", nil
	case "database":
		return "DATABASE " + snowflake.Ident(sf.Database), nil
	case "schema":
		return "SCHEMA " + snowflake.Qualified(sf.Database, sf.Schema), nil
	}
	return "", workflow.Invalid("unknown $.repository.default_for %q; use none, account, database or schema", level)
}

// IsSet reads the parameter on target, whose level is account, database or
// schema, and reports whether target sets it to the rendered repository
// name repo itself. A value that target inherits from a broader level does
// not count, because unsetting that level would take it away. It only runs
// SHOW PARAMETERS.
func IsSet(ctx context.Context, conn snowflake.Conn, target, level, repo string) (bool, error) {
	value, err := ownValue(ctx, conn, target, level)
	if err != nil {
		return false, err
	}
	return value != "" && SameRepository(value, repo), nil
}

// ownValue returns the value of the parameter that target, whose level is
// account, database or schema, sets itself, or "" when it sets none.
func ownValue(ctx context.Context, conn snowflake.Conn, target, level string) (string, error) {
	rows, err := conn.Query(ctx, "SHOW PARAMETERS LIKE "+snowflake.Literal(parameter)+" IN "+target)
	if err != nil {
		return "", fmt.Errorf("read %s on %s: %w", parameter, target, err)
	}
	for _, row := range rows {
		if strings.EqualFold(row["key"], parameter) && strings.EqualFold(row["level"], level) {
			return row["value"], nil
		}
	}
	return "", nil
}

// record stores in registry that the run sets the parameter on target to
// repo in place of replaced, the value that Replaced returned. A nil
// registry records nothing.
func record(ctx context.Context, registry workflow.DefaultRegistry, req request.Request, level, target, repo, replaced string) error {
	if registry == nil {
		return nil
	}
	sf := req.Snowflake
	d := workflow.DefaultSetting{
		Account: sf.Account, Request: req.ID, Level: level, Target: target, Repository: repo,
		Database: sf.Database, Schema: sf.Schema, Replaced: replaced,
	}
	if err := registry.Put(ctx, d); err != nil {
		return fmt.Errorf("record that the run sets %s on %s: %w", parameter, target, err)
	}
	return nil
}

// SameRepository compares a parameter value with a rendered qualified name,
// ignoring the case of unquoted parts.
func SameRepository(value, rendered string) bool {
	return normalize(value) == normalize(rendered)
}

func normalize(name string) string {
	var b strings.Builder
	quoted := false
	for _, r := range name {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
			b.WriteRune(r)
		default:
			b.WriteString(strings.ToUpper(string(r)))
		}
	}
	return b.String()
}
