// Package defaultrepo sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on the level
// that repository.default_for names: account, database or schema. It unsets
// the parameter on the other levels where it names the request's repository,
// unless the request did not create that repository.
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

// Output is the level that was set and what the step did.
type Output = workflow.Result

const parameter = "DEFAULT_PYTHON_ARTIFACT_REPOSITORY"

// Run sets the parameter on the requested level when that level does not
// set it to the request's repository itself. Setting it on the account
// affects every new Python function and procedure in the account, so it is
// opt-in. Run then unsets the parameter on every other level that sets it to
// the request's repository, such as the schema after default_for changed
// from schema to none. A level that names another repository is left alone.
// So is every other level when the request did not create the repository
// under its name, such as one made by hand that a run adopted, because the
// repository's owner may have set those defaults. Teardown keeps them by the
// same rule.
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
	if target != "" {
		set, err := IsSet(ctx, conn, target, level, repo)
		if err != nil {
			return Output{}, err
		}
		if !set {
			if err := conn.Exec(ctx, "ALTER "+target+" SET "+parameter+" = "+repo); err != nil {
				return Output{}, fmt.Errorf("set %s on %s: %w", parameter, target, err)
			}
			changed = true
		}
	}

	others, err := FindOthers(ctx, conn, req, level)
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
			return Output{}, fmt.Errorf("unset %s on the %s, which repository.default_for no longer names: %w", parameter, l, err)
		}
		changed = true
	}

	id := target
	if id == "" {
		id = "none"
	}
	if len(stale) > 0 {
		id += "; unset on the " + strings.Join(stale, ", ")
	}
	if len(others.Kept) > 0 {
		id += "; " + others.KeptDetail()
	}
	switch {
	case changed:
		return Output{Action: workflow.Updated, ID: id}, nil
	case target == "":
		return Output{Action: workflow.Skipped, ID: id}, nil
	}
	return Output{Action: workflow.Adopted, ID: id}, nil
}

// levels are the levels that DEFAULT_PYTHON_ARTIFACT_REPOSITORY can be set
// on, from the broadest.
var levels = []string{snowflake.LevelAccount, snowflake.LevelDatabase, snowflake.LevelSchema}

// Stale returns the levels other than keep that set the parameter to the
// rendered repository name repo on the level itself, not by inheritance. A
// level whose database or schema does not exist sets nothing. It only runs
// SHOW PARAMETERS, so plan uses it too.
func Stale(ctx context.Context, conn snowflake.Conn, sf request.Snowflake, keep, repo string) ([]string, error) {
	var stale []string
	for _, level := range levels {
		if level == keep {
			continue
		}
		target, err := Target(sf, level)
		if err != nil {
			return nil, err
		}
		set, err := IsSet(ctx, conn, target, level, repo)
		if snowflake.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if set {
			stale = append(stale, level)
		}
	}
	return stale, nil
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
	return "", workflow.Invalid("unknown repository.default_for %q; use none, account, database or schema", level)
}

// IsSet reads the parameter on target, whose level is account, database or
// schema, and reports whether target sets it to the rendered repository
// name repo itself. A value that target inherits from a broader level does
// not count, because unsetting that level would take it away. It only runs
// SHOW PARAMETERS.
func IsSet(ctx context.Context, conn snowflake.Conn, target, level, repo string) (bool, error) {
	rows, err := conn.Query(ctx, "SHOW PARAMETERS LIKE "+snowflake.Literal(parameter)+" IN "+target)
	if err != nil {
		return false, fmt.Errorf("read %s on %s: %w", parameter, target, err)
	}
	for _, row := range rows {
		if strings.EqualFold(row["key"], parameter) && strings.EqualFold(row["level"], level) && SameRepository(row["value"], repo) {
			return true, nil
		}
	}
	return false, nil
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
