package main

import (
	"context"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// hostClashError is the error of a private-link run that reaches a host
// that a provision execution of another request ID in the same Snowflake
// account reaches too, while the private endpoint of one of the two
// carries it: as its index host or in repository.extra_allowed_prefixes.
// Its message names no teardown of the other request and, unless retry is
// set, no step to start the request again.
type hostClashError struct {
	clashHolder
	host string
	// field and holderField are the request fields through which the
	// rejected request and the holder reach host.
	field, holderField string
}

var _ intakeConflict = (*hostClashError)(nil)

func (e *hostClashError) Error() string {
	rejection := e.rejection("")
	return rejection.SharedHost(e.host, e.field, e.holderField)
}

// sameEndpointHost reports whether a and b reach one host through private
// endpoints in the same Snowflake account while the endpoint of one of
// them carries it (request.SharedHost). Accounts are compared by
// request.AccountKey, and host names without case, as DNS does.
func sameEndpointHost(a, b request.Request) bool {
	_, _, shared := request.SharedHost(a, b)
	return shared
}

// checkHostClash returns a *hostClashError when req is a private-link
// request that reaches a host that a provision execution of another
// request ID reaches too (sameEndpointHost). That execution counts by the
// rules of checkObjectClash: it runs, succeeded or stopped once a building
// step had started, and no teardown of its request succeeded since. An
// execution that started after a live
// execution of req's ID with the same host is not checked, because the
// first request keeps the host. flags are the flags of the suggested
// teardown command.
//
// Like checkObjectClash, a start runs the check under the start locks of
// req's ID and of its claims, which include the hosts, so of two requests
// that start with one host at the same moment, only the first passes.
//
// all are the provision executions that objectClash gets, the latest
// started first.
func checkHostClash(ctx context.Context, runs *intakeRuns, all []engine.Execution, req request.Request, flags string) error {
	if req.ID == "" || request.EndpointHost(req) == "" {
		return nil
	}
	x, other, err := firstClash(ctx, runs, all, req, sameEndpointHost)
	if err != nil || x == nil {
		return err
	}
	mine, theirs, _ := request.SharedHost(req, other)
	return &hostClashError{
		clashHolder: newClashHolder(req, other, *x, all, flags),
		host:        mine.Host,
		field:       mine.Field,
		holderField: theirs.Field,
	}
}
