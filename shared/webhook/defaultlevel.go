package webhook

import (
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
)

// DefaultLevelRetry is the action that a default level conflict suggests
// once the level is free.
const DefaultLevelRetry = "send the request again"

// DefaultLevelConflict returns the *ConflictError of req, whose
// repository.default_for names the level that holder, a provision
// execution of another request ID in the same Snowflake account, sets.
// The reason names $.repository.default_for, the level and the holder, and
// commands are the commands that it suggests to free the level.
func DefaultLevelConflict(req request.Request, holder clash.Holder, commands clash.Commands) *ConflictError {
	rejection := clash.Rejection{
		RequestID: req.ID,
		Route:     req.Route,
		Account:   req.Snowflake.Account,
		Holder:    holder,
		Commands:  commands,
		Retry:     DefaultLevelRetry,
	}
	return &ConflictError{Ticket: req.ID, Execution: holder.Execution, Reason: rejection.DefaultLevel(request.DefaultTarget(req))}
}

// MovesDefaultLevel reports whether later, a run of the request that holds
// claim c of kind request.ClaimDefault, names another level or none. Such
// a run unsets the level of c in its default step, so a run that may have
// built frees the claim.
func MovesDefaultLevel(c request.Claim, later request.Request) bool {
	named, ok := request.DefaultClaim(later)
	return !ok || named.Key() != c.Key()
}
