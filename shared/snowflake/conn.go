// Package snowflake renders the SQL that repolink sends to Snowflake and runs
// it over gosnowflake, one statement per call.
package snowflake

import "context"

// Row is one result row keyed by lower-case column name. NULL reads as "".
type Row map[string]string

// Conn runs single SQL statements. *Client implements it; unit tests use
// hand-written fakes.
type Conn interface {
	// Exec runs one statement that returns no rows.
	Exec(ctx context.Context, stmt string) error
	// Query runs one statement and returns all its rows.
	Query(ctx context.Context, stmt string) ([]Row, error)
}
