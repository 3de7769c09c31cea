package grants

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// RolesField is the request field that lists the roles to grant to.
const RolesField = "$.repository.grant_to_roles"

// MissingRole is a role of grant_to_roles that SHOW ROLES does not list.
type MissingRole struct {
	// Role is the name as the request gives it.
	Role string
	// Similar are listed roles whose names differ from Role only in case,
	// such as DATA-SCIENCE for the case-sensitive name data-science.
	Similar []string
}

// MissingRoles looks up each role with SHOW ROLES LIKE and returns, in
// order, those that no row names exactly as Ident(role) would store it.
// SHOW ROLES (https://docs.snowflake.com/en/sql-reference/sql/show-roles)
// lists only the roles that the session's role can view, so a role that
// exists but is hidden from that role counts as missing too. It only runs
// SHOW statements, so plan uses it too.
//
// NOTE: treating a hidden role as missing can stop a run whose GRANT would
// have worked. It is the safe side, because a wrong name otherwise fails
// only after the secret, the integration and the repository are built, and
// the message explains how to make the role visible.
func MissingRoles(ctx context.Context, conn snowflake.Conn, roles []string) ([]MissingRole, error) {
	var missing []MissingRole
	for _, role := range roles {
		stmt := "SHOW ROLES LIKE " + snowflake.Literal(snowflake.LikePattern(role))
		rows, err := conn.Query(ctx, stmt)
		if err != nil {
			return nil, fmt.Errorf("look up role %s of %s: %w", snowflake.Ident(role), RolesField, err)
		}
		found := false
		var similar []string
		for _, row := range rows {
			name := row["name"]
			switch {
			case snowflake.SameName(name, role):
				found = true
			case strings.EqualFold(name, snowflake.StoredName(role)):
				similar = append(similar, name)
			}
		}
		if !found {
			missing = append(missing, MissingRole{Role: role, Similar: similar})
		}
	}
	return missing, nil
}

// CheckRoles fails with InvalidRequest when a role of the request's
// grant_to_roles is missing from the Snowflake account, because the grants
// step cannot grant to it and would fail only after the secret, the
// integration and the repository are built.
func CheckRoles(ctx context.Context, conn snowflake.Conn, req request.Request) error {
	roles := req.Repository.GrantToRoles
	if len(roles) == 0 {
		return nil
	}
	missing, err := MissingRoles(ctx, conn, roles)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	return workflow.Invalid("%s", MissingRolesMessage(req.Snowflake, missing))
}

// MissingRolesMessage returns the text that names the missing roles and
// what to change.
func MissingRolesMessage(sf request.Snowflake, missing []MissingRole) string {
	var names, hints []string
	for _, m := range missing {
		names = append(names, snowflake.Ident(m.Role))
		if len(m.Similar) > 0 {
			hints = append(hints, fmt.Sprintf("%s differs from the existing %s only in case, and a quoted name or one that is not a plain identifier is case-sensitive",
				snowflake.Ident(m.Role), strings.Join(m.Similar, ", ")))
		}
	}
	role := "the user's default role"
	if sf.Role != "" {
		role = "role " + snowflake.Ident(sf.Role)
	}

	noun, pronoun := "roles", "them"
	if len(names) == 1 {
		noun, pronoun = "a role", "it"
	}
	// Each missing role gets its statement, so that running them all
	// creates every role that the next run needs.
	creates := make([]string, len(names))
	for i, name := range names {
		creates[i] = "CREATE ROLE " + name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s names %s that Snowflake account %s does not have: %s", RolesField, noun, sf.Account, strings.Join(names, ", "))
	for _, hint := range hints {
		b.WriteString("; " + hint)
	}
	fmt.Fprintf(&b, ". Create each role (%s) or correct its name in %s. "+
		"SHOW ROLES run as %s did not list %s; if a role exists but that role cannot see it, set $.snowflake.role to a role that can",
		strings.Join(creates, "; "), RolesField, role, pronoun)
	return b.String()
}
