// Package grants gives the requested roles what they need to use the
// repository: USAGE on the database, schema and integration, and READ on the
// artifact repository.
package grants

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output lists the roles and what the step did.
type Output = workflow.Grants

// Grant is one privilege on one object.
type Grant struct {
	Privilege string
	Kind      string // DATABASE, SCHEMA, INTEGRATION, ARTIFACT REPOSITORY
	Object    string // rendered identifier
}

// Run grants every missing privilege to every requested role, reading the
// existing grants first so that a second run grants nothing.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	roles := req.Repository.GrantToRoles
	if len(roles) == 0 {
		return Output{Result: workflow.Result{Action: workflow.Skipped, ID: "none"}, Roles: []string{}}, nil
	}
	names := workflow.NamesFor(req)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	wanted := Wanted(sf.Database, sf.Schema, names.Integration, sfobject.Qualified(sf, names.Repository))
	missing, err := Missing(ctx, conn, wanted, roles)
	if err != nil {
		return Output{}, err
	}
	for _, m := range missing {
		if err := conn.Exec(ctx, m.Statement()); err != nil {
			return Output{}, fmt.Errorf("grant %s on %s %s to role %s: %w", m.Privilege, m.Kind, m.Object, m.Role, err)
		}
	}
	action := workflow.Adopted
	if len(missing) > 0 {
		action = workflow.Created
	}
	return Output{Result: workflow.Result{Action: action, ID: strings.Join(roles, ",")}, Roles: roles}, nil
}

// RoleGrant is one privilege that one role lacks.
type RoleGrant struct {
	Grant
	Role string
}

// Statement returns the GRANT statement that gives the role the privilege.
func (g RoleGrant) Statement() string {
	return "GRANT " + g.Privilege + " ON " + g.Kind + " " + g.Object + " TO ROLE " + snowflake.Ident(g.Role)
}

// Missing reads the grants on the objects of wanted and returns, in order,
// the privileges that roles do not hold yet. It only runs SHOW GRANTS, so
// plan uses it too. SHOW GRANTS fails on an object that does not exist.
func Missing(ctx context.Context, conn snowflake.Conn, wanted []Grant, roles []string) ([]RoleGrant, error) {
	var missing []RoleGrant
	for _, g := range wanted {
		existing, err := holders(ctx, conn, g)
		if err != nil {
			return nil, err
		}
		for _, role := range roles {
			if !existing[normalizeRole(role)] {
				missing = append(missing, RoleGrant{Grant: g, Role: role})
			}
		}
	}
	return missing, nil
}

// Wanted lists the privileges that a role needs to create functions that use
// the repository.
//
// NOTE: Snowflake's documentation names READ on the repository in its
// reference page and USAGE in its troubleshooting guide; READ is granted.
func Wanted(database, schema, integration, repository string) []Grant {
	return []Grant{
		{Privilege: "USAGE", Kind: "DATABASE", Object: snowflake.Ident(database)},
		{Privilege: "USAGE", Kind: "SCHEMA", Object: snowflake.Qualified(database, schema)},
		{Privilege: "USAGE", Kind: "INTEGRATION", Object: snowflake.Ident(integration)},
		{Privilege: "READ", Kind: "ARTIFACT REPOSITORY", Object: repository},
	}
}

// holders returns the roles that already hold g, keyed by normalised name.
func holders(ctx context.Context, conn snowflake.Conn, g Grant) (map[string]bool, error) {
	rows, err := conn.Query(ctx, "SHOW GRANTS ON "+g.Kind+" "+g.Object)
	if err != nil {
		return nil, fmt.Errorf("read grants on %s %s: %w", g.Kind, g.Object, err)
	}
	roles := map[string]bool{}
	for _, row := range rows {
		if strings.EqualFold(row["privilege"], g.Privilege) && strings.EqualFold(row["granted_to"], "ROLE") {
			roles[normalizeRole(row["grantee_name"])] = true
		}
	}
	return roles, nil
}

// normalizeRole maps a role name to the form SHOW GRANTS prints, following
// the identifier rule of Ident: safe names upper-case, others as written.
func normalizeRole(role string) string {
	ident := snowflake.Ident(role)
	if strings.HasPrefix(ident, `"`) {
		return role
	}
	return strings.ToUpper(role)
}
