// Package defaultrepo sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on the account,
// database or schema when the request asks for it.
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

// Run reads the parameter at the requested level and sets it only when it
// names another repository. Setting it on the account affects every new
// Python function and procedure in the account, so it is opt-in.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	level := req.Repository.DefaultFor
	if level == "" || level == "none" {
		return Output{Action: workflow.Skipped, ID: "none"}, nil
	}
	names := workflow.NamesFor(req)
	repo := sfobject.Qualified(sf, names.Repository)
	target, err := Target(sf, level)
	if err != nil {
		return Output{}, err
	}
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	set, err := IsSet(ctx, conn, target, repo)
	if err != nil {
		return Output{}, err
	}
	if set {
		return Output{Action: workflow.Adopted, ID: target}, nil
	}
	if err := conn.Exec(ctx, "ALTER "+target+" SET "+parameter+" = "+repo); err != nil {
		return Output{}, fmt.Errorf("set %s on %s: %w", parameter, target, err)
	}
	return Output{Action: workflow.Updated, ID: target}, nil
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

// IsSet reads the parameter on target and reports whether it names the
// rendered repository name repo. It only runs SHOW PARAMETERS.
func IsSet(ctx context.Context, conn snowflake.Conn, target, repo string) (bool, error) {
	rows, err := conn.Query(ctx, "SHOW PARAMETERS LIKE "+snowflake.Literal(parameter)+" IN "+target)
	if err != nil {
		return false, fmt.Errorf("read %s on %s: %w", parameter, target, err)
	}
	for _, row := range rows {
		if strings.EqualFold(row["key"], parameter) && SameRepository(row["value"], repo) {
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
