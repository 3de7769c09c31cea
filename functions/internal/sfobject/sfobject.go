// Package sfobject holds the lookups that the Snowflake steps share: finding
// an object by exact name in SHOW output, and the names a request derives.
package sfobject

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Find runs a SHOW statement for kind (such as "SECRETS") filtered by name,
// in scope (such as "IN SCHEMA DB.SCHEMA", or "" for the account), and
// returns the row whose name matches exactly, or nil.
func Find(ctx context.Context, conn snowflake.Conn, kind, name, scope string) (snowflake.Row, error) {
	stmt := "SHOW " + kind + " LIKE " + snowflake.Literal(snowflake.LikePattern(name))
	if scope != "" {
		stmt += " " + scope
	}
	rows, err := conn.Query(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("look up %s %s: %w", kind, name, err)
	}
	for _, row := range rows {
		if snowflake.SameName(row["name"], name) {
			return row, nil
		}
	}
	return nil, nil
}

// InSchema returns the SHOW scope of the request's schema.
func InSchema(sf request.Snowflake) string {
	return "IN SCHEMA " + snowflake.Qualified(sf.Database, sf.Schema)
}

// Qualified returns the fully qualified identifier of an object in the
// request's schema.
func Qualified(sf request.Snowflake, name string) string {
	return snowflake.Qualified(sf.Database, sf.Schema, name)
}

// ownerPrefix starts the COMMENT that marks an object as created by
// repolink for a request.
const ownerPrefix = "repolink request "

// OwnerComment returns the COMMENT of the objects created for requestID.
func OwnerComment(requestID string) string { return ownerPrefix + requestID }

// WithOwner appends the COMMENT that marks the object of a CREATE
// statement as created for requestID.
func WithOwner(stmt, requestID string) string {
	return stmt + " COMMENT = " + snowflake.Literal(OwnerComment(requestID))
}

// Owner returns the request that created the object of a SHOW row, or ""
// when its COMMENT does not name one, such as for an object made by hand.
func Owner(row snowflake.Row) string {
	owner, _ := strings.CutPrefix(row["comment"], ownerPrefix)
	if owner == row["comment"] {
		return ""
	}
	return owner
}

// CheckOwner returns a Conflict error when the object of a SHOW row was
// created for another request, so that a step does not adopt, and a
// teardown does not drop, another request's object.
func CheckOwner(kind, name string, row snowflake.Row, requestID string) error {
	if owner := Owner(row); owner != "" && owner != requestID {
		return workflow.Errorf(workflow.ErrConflict,
			"%s %s was created for request %s, not %s; give this request another repository.name, or tear down request %s first",
			kind, name, owner, requestID, owner)
	}
	return nil
}
