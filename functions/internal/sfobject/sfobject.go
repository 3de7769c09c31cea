// Package sfobject holds the lookups that the Snowflake steps share: finding
// an object by exact name in SHOW output, and the names a request derives.
package sfobject

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
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
