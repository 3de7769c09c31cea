// Package grants gives the requested roles what they need to use the
// repository: USAGE on the database, schema and integration, and READ on the
// artifact repository. It revokes the grants on the integration and the
// repository that repolink made to roles the request no longer lists.
package grants

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
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
// existing grants first so that a second run grants nothing. It then revokes
// what repolink granted on the integration and the repository to roles that
// the request no longer lists (see Stale).
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	roles := req.Repository.GrantToRoles
	if roles == nil {
		roles = []string{}
	}
	names := workflow.NamesFor(req)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	// A missing role fails the run before any grant, not after some.
	if err := CheckRoles(ctx, conn, req); err != nil {
		return Output{}, err
	}
	var missing []RoleGrant
	if len(roles) > 0 {
		wanted := Wanted(sf.Database, sf.Schema, names.Integration, sfobject.Qualified(sf, names.Repository))
		if missing, err = Missing(ctx, conn, wanted, roles); err != nil {
			return Output{}, err
		}
	}
	for _, m := range missing {
		if err := conn.Exec(ctx, m.Statement()); err != nil {
			return Output{}, grantError(ctx, conn, req, m, err)
		}
	}

	stale, err := Stale(ctx, conn, req, roles)
	if err != nil {
		return Output{}, err
	}
	for _, g := range stale.Revoke {
		if err := conn.Exec(ctx, g.RevokeStatement()); err != nil {
			return Output{}, fmt.Errorf("revoke %s on %s %s from role %s, which grant_to_roles no longer lists: %w", g.Privilege, g.Kind, g.Object, g.Role, err)
		}
	}

	action := workflow.Adopted
	switch {
	case len(missing) > 0 && len(stale.Revoke) == 0:
		action = workflow.Created
	case len(missing) > 0 || len(stale.Revoke) > 0:
		action = workflow.Updated
	case len(roles) == 0 && len(stale.Kept) == 0:
		action = workflow.Skipped
	}
	return Output{Result: workflow.Result{Action: action, ID: summary(roles, stale)}, Roles: roles}, nil
}

// grantError returns the error of a failed GRANT. When Snowflake reports
// that something does not exist and the role is missing, such as one
// dropped after CheckRoles, the error is InvalidRequest, which the state
// machine does not retry. Other errors keep their classification.
func grantError(ctx context.Context, conn snowflake.Conn, req request.Request, m RoleGrant, err error) error {
	err = fmt.Errorf("grant %s on %s %s to role %s: %w", m.Privilege, m.Kind, m.Object, m.Role, err)
	if !snowflake.IsNotExist(err) {
		return err
	}
	missing, lookupErr := MissingRoles(ctx, conn, []string{m.Role})
	if lookupErr != nil || len(missing) == 0 {
		return err
	}
	return workflow.Invalid("%s", MissingRolesMessage(req.Snowflake, missing))
}

// summary returns the step's ID: the roles, or none, followed by the roles
// that lost their grants and the roles whose grants stay on objects that
// repolink did not create.
func summary(roles []string, stale StaleGrants) string {
	id := "none"
	if len(roles) > 0 {
		id = strings.Join(roles, ",")
	}
	if revoked := stale.Roles(); len(revoked) > 0 {
		id += "; revoked from " + strings.Join(revoked, ",") + " (USAGE on the database and schema kept)"
	}
	for _, k := range stale.Kept {
		id += "; kept " + k
	}
	return id
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

// RevokeStatement returns the REVOKE statement that takes the privilege
// from the role, in the form of Snowflake's REVOKE <privileges> ... FROM
// ROLE reference: REVOKE privilege ON object_type object FROM ROLE role.
func (g RoleGrant) RevokeStatement() string {
	return "REVOKE " + g.Privilege + " ON " + g.Kind + " " + g.Object + " FROM ROLE " + snowflake.Ident(g.Role)
}

// StaleGrants are the grants on the integration and the repository to
// roles that the request no longer lists, as Stale sorts them.
type StaleGrants struct {
	// Revoke lists the privileges to revoke, in order.
	Revoke []RoleGrant
	// Kept describes grants to roles that the request does not list on an
	// object that repolink did not create, which Stale cannot attribute.
	Kept []string
}

// Roles returns the roles of Revoke, each once, in order.
func (s StaleGrants) Roles() []string {
	var roles []string
	for _, g := range s.Revoke {
		if !slices.Contains(roles, g.Role) {
			roles = append(roles, g.Role)
		}
	}
	return roles
}

// Stale finds the privileges of Wanted that repolink granted on the
// request's integration and artifact repository to roles that roles no
// longer lists. A grant counts as repolink's when the object's COMMENT names
// the request, so repolink created the object, and the grant's granted_by
// is the object's owner, the role that repolink created it with. Grants
// that anyone made with another role stay.
//
// USAGE on the database and schema is never revoked: they hold other
// objects, and SHOW GRANTS does not tell whether repolink or someone else
// granted it. It only runs SHOW statements, so plan uses it too. An object
// that does not exist yet has no grants.
func Stale(ctx context.Context, conn snowflake.Conn, req request.Request, roles []string) (StaleGrants, error) {
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	listed := map[string]bool{}
	for _, role := range roles {
		listed[snowflake.StoredName(role)] = true
	}
	objects := []struct {
		grant       Grant
		show, scope string
		name        string
	}{
		{Grant{Privilege: "USAGE", Kind: "INTEGRATION", Object: snowflake.Ident(names.Integration)}, "API INTEGRATIONS", "", names.Integration},
		{Grant{Privilege: "READ", Kind: "ARTIFACT REPOSITORY", Object: sfobject.Qualified(sf, names.Repository)}, "ARTIFACT REPOSITORIES", sfobject.InSchema(sf), names.Repository},
	}

	var out StaleGrants
	for _, o := range objects {
		row, err := sfobject.Find(ctx, conn, o.show, o.name, o.scope)
		if err != nil {
			return StaleGrants{}, err
		}
		if row == nil {
			continue
		}
		rows, err := conn.Query(ctx, "SHOW GRANTS ON "+o.grant.Kind+" "+o.grant.Object)
		if err != nil {
			return StaleGrants{}, fmt.Errorf("read grants on %s %s: %w", o.grant.Kind, o.grant.Object, err)
		}
		owner := ""
		for _, r := range rows {
			if strings.EqualFold(r["privilege"], "OWNERSHIP") {
				owner = r["grantee_name"]
			}
		}
		ours := sfobject.Owner(row) == req.ID
		for _, r := range rows {
			if !strings.EqualFold(r["privilege"], o.grant.Privilege) || !strings.EqualFold(r["granted_to"], "ROLE") || listed[r["grantee_name"]] {
				continue
			}
			role := r["grantee_name"]
			switch {
			case ours && owner != "" && r["granted_by"] == owner:
				out.Revoke = append(out.Revoke, RoleGrant{Grant: o.grant, Role: role})
			case !ours:
				out.Kept = append(out.Kept, fmt.Sprintf("%s of %s on %s %s, which repolink did not create", o.grant.Privilege, role, o.grant.Kind, o.grant.Object))
			}
		}
	}
	return out, nil
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
			if !existing[snowflake.StoredName(role)] {
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

// holders returns the roles that already hold g, keyed by the name that
// SHOW GRANTS prints, which is the stored name.
func holders(ctx context.Context, conn snowflake.Conn, g Grant) (map[string]bool, error) {
	rows, err := conn.Query(ctx, "SHOW GRANTS ON "+g.Kind+" "+g.Object)
	if err != nil {
		return nil, fmt.Errorf("read grants on %s %s: %w", g.Kind, g.Object, err)
	}
	roles := map[string]bool{}
	for _, row := range rows {
		if strings.EqualFold(row["privilege"], g.Privilege) && strings.EqualFold(row["granted_to"], "ROLE") {
			roles[row["grantee_name"]] = true
		}
	}
	return roles, nil
}
