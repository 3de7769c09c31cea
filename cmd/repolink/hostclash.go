package main

import (
	"context"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// hostClashError is the error of a private-link run whose index host is
// the host of the private endpoint that a provision execution of another
// request ID in the same Snowflake account may have provisioned. Its
// message names no teardown of the other request and, unless retry is
// set, no step to start the request again.
type hostClashError struct {
	clashHolder
	host string
}

var _ intakeConflict = (*hostClashError)(nil)

func (e *hostClashError) Error() string {
	rejection := e.rejection("")
	return rejection.Host(e.host)
}

// sameEndpointHost reports whether the private endpoints of a and b would
// carry the same host in the same Snowflake account. Account identifiers
// and host names are compared without case, as Snowflake and DNS do.
func sameEndpointHost(a, b request.Request) bool {
	host := request.EndpointHost(a)
	return host != "" && strings.EqualFold(a.Snowflake.Account, b.Snowflake.Account) && strings.EqualFold(host, request.EndpointHost(b))
}

// checkHostClash returns a *hostClashError when req is a private-link
// request with the endpoint host of a provision execution of another
// request ID in the same Snowflake account. That execution counts by the
// rules of checkObjectClash: it runs, succeeded or stopped once a building
// step had started, and no teardown of its request succeeded since. An
// execution that started after a live
// execution of req's ID with the same host is not checked, because the
// first request keeps the host. flags are the flags of the suggested
// teardown command.
//
// Like checkObjectClash, a start runs the check under the start locks of
// req's ID and of its claims, which include the host, so of two requests
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
	return &hostClashError{
		clashHolder: newClashHolder(req, other, *x, all, flags),
		host:        request.EndpointHost(req),
	}
}
