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
// returns the row whose name matches exactly, or nil. Errors name the object
// as Snowflake resolves it, such as PUBLIC_PYPI_SECRET for public_pypi_SECRET.
func Find(ctx context.Context, conn snowflake.Conn, kind, name, scope string) (snowflake.Row, error) {
	stmt := "SHOW " + kind + " LIKE " + snowflake.Literal(snowflake.LikePattern(name))
	if scope != "" {
		stmt += " " + scope
	}
	rows, err := conn.Query(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("look up %s %s: %w", kind, snowflake.Ident(name), err)
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

// Origin returns where the object of a SHOW row came from when its COMMENT
// does not name requestID: "not created by repolink" for an object made by
// hand, such as one that a run adopted, or "created for request X". It
// returns "" for the request's own object.
func Origin(row snowflake.Row, requestID string) string {
	switch owner := Owner(row); owner {
	case requestID:
		return ""
	case "":
		return "not created by repolink"
	default:
		return "created for request " + owner
	}
}

// CheckOwner returns a Conflict error when the object of a SHOW row was
// created for another request, so that a step does not adopt, and a
// teardown does not drop, another request's object.
func CheckOwner(kind, name string, row snowflake.Row, requestID string) error {
	if owner := Owner(row); owner != "" && owner != requestID {
		return workflow.Errorf(workflow.ErrConflict,
			"%s %s was created for request %s, not %s; give this request another $.repository.name, or tear down request %s first",
			kind, name, owner, requestID, owner)
	}
	return nil
}

// FindCreated looks up an object again after a CREATE ... IF NOT EXISTS
// and returns its SHOW row. That statement does nothing when the object
// exists, as when another request or a person created it after the step's
// first lookup, so a step reports created only when the row's COMMENT
// names its own request. An object that is missing again, such as one that
// a teardown dropped meanwhile, is a Transient error, so that the step is
// run again and creates it.
func FindCreated(ctx context.Context, conn snowflake.Conn, kind, name, scope string) (snowflake.Row, error) {
	row, err := Find(ctx, conn, kind, name, scope)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, workflow.Errorf(workflow.ErrTransient, "look up %s %s after creating it: not found", kind, snowflake.Ident(name))
	}
	return row, nil
}

// Object is a Snowflake object that a run creates under a name derived from
// the request and marks with the request's owner COMMENT.
type Object struct {
	// Step is the step that creates the object.
	Step string
	// Type is the SQL object type, such as "API INTEGRATION".
	Type string
	// Noun names the object type in messages, such as "API integration".
	Noun string
	// Show is the object type of the SHOW statement, such as "API INTEGRATIONS".
	Show string
	Name string
	// Scope is the SHOW scope, or "" for an account-level object.
	Scope string
}

// Objects returns the SECRET, API INTEGRATION and ARTIFACT REPOSITORY of
// req, in the order the steps create them. Preflight and plan both check
// these objects with CheckOwner, so that plan reports a conflict exactly
// where preflight stops the run.
func Objects(req request.Request) []Object {
	names := workflow.NamesFor(req)
	inSchema := InSchema(req.Snowflake)
	return []Object{
		{Step: "secret", Type: "SECRET", Noun: "secret", Show: "SECRETS", Name: names.Secret, Scope: inSchema},
		{Step: "integration", Type: "API INTEGRATION", Noun: "API integration", Show: "API INTEGRATIONS", Name: names.Integration},
		{Step: "repository", Type: "ARTIFACT REPOSITORY", Noun: "artifact repository", Show: "ARTIFACT REPOSITORIES", Name: names.Repository, Scope: inSchema},
	}
}

// Find returns the SHOW row of the object, or nil when it does not exist.
func (o Object) Find(ctx context.Context, conn snowflake.Conn) (snowflake.Row, error) {
	return Find(ctx, conn, o.Show, o.Name, o.Scope)
}

// CheckOwner returns a Conflict error when row, the object's SHOW row, was
// created for a request other than requestID. The error names the object
// by DisplayName, as the secret and repository steps do.
func (o Object) CheckOwner(row snowflake.Row, requestID string) error {
	return CheckOwner(o.Noun, o.DisplayName(), row, requestID)
}
