package defaultrepo

import (
	"context"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Others are the levels other than the one that default_for names that set
// the parameter to the request's repository itself.
type Others struct {
	// Unset are the levels that the default step unsets, because the
	// request created the repository or has yet to create it.
	Unset []string
	// Kept are the levels that stay, because the repository under the
	// request's name is not the request's own.
	Kept []string
	// Origin is the sfobject.Origin phrase of that repository, such as
	// "not created by repolink", when Kept is not empty.
	Origin string
}

// KeptDetail returns a phrase naming the kept levels and why they stay, or
// "" when none stays.
func (o Others) KeptDetail() string {
	if len(o.Kept) == 0 {
		return ""
	}
	return "kept on the " + strings.Join(o.Kept, ", ") + ", where it names a repository " + o.Origin
}

// FindOthers reads the parameter on every level except keep and sorts the
// levels that set it to the request's repository by whether the default
// step unsets them. It only runs SHOW statements, so plan uses it too.
//
// NOTE: nothing records which level a run set, so when default_for of a
// request with an adopted repository moves, the default on the old level
// stays too and has to be unset by hand.
func FindOthers(ctx context.Context, conn snowflake.Conn, req request.Request, keep string) (Others, error) {
	sf := req.Snowflake
	name := workflow.NamesFor(req).Repository
	stale, err := Stale(ctx, conn, sf, keep, sfobject.Qualified(sf, name))
	if err != nil || len(stale) == 0 {
		return Others{}, err
	}
	origin, err := RepositoryOrigin(ctx, conn, sf, name, req.ID)
	if err != nil {
		return Others{}, err
	}
	if origin != "" {
		return Others{Kept: stale, Origin: origin}, nil
	}
	return Others{Unset: stale}, nil
}

// RepositoryOrigin looks up the artifact repository name in the request's
// schema and returns where it came from when the request did not create
// it, as sfobject.Origin phrases it. Such a repository was made by hand and
// adopted by a run, or it belongs to another request. Its owner may
// have set defaults that name it, so neither the default step nor teardown
// unsets them. It returns "" for the request's own repository, and for
// one that does not exist yet, because the repository step creates it for
// the request.
func RepositoryOrigin(ctx context.Context, conn snowflake.Conn, sf request.Snowflake, name, requestID string) (string, error) {
	row, err := sfobject.Find(ctx, conn, "ARTIFACT REPOSITORIES", name, sfobject.InSchema(sf))
	if snowflake.IsNotExist(err) {
		return "", nil
	}
	if err != nil || row == nil {
		return "", err
	}
	return sfobject.Origin(row, requestID), nil
}
