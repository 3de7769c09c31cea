package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// hostClashError is the error of a private-link run whose index host is
// the host of the private endpoint that a provision execution of another
// request ID in the same Snowflake account may have provisioned.
type hostClashError struct {
	requestID string
	host      string
	account   string
	other     string
	earlier   string
	status    string
	flags     string
	// retry is the caller's step to start the request again, or "" for a
	// message that names none.
	retry string
}

var _ intakeConflict = (*hostClashError)(nil)

func (e *hostClashError) setFlags(flags string) { e.flags = flags }

func (e *hostClashError) setRetry(retry string) { e.retry = retry }

func (e *hostClashError) execution() string { return e.earlier }

func (e *hostClashError) Error() string {
	state := "and no teardown of " + e.other + " has succeeded since"
	if e.status != engine.StatusRunning && e.status != engine.StatusSucceeded {
		state = "which may have built resources before it stopped, " + state
	}
	then := ""
	if e.retry != "" {
		then = ", and then " + e.retry
	}
	return fmt.Sprintf("request %s uses the index host %s in Snowflake account %s, as request %s does in execution %s (%s), %s. "+
		"An account routes a host name to one private endpoint only, so the verification of this request would pass through the endpoint and proxy of request %s "+
		"and break when that request is torn down. Serving both repositories from one request's endpoint is not supported: "+
		"tear down request %s first with 'repolink teardown%s %s', or use another host name for this index in repository.index_url%s",
		e.requestID, e.host, e.account, e.other, e.earlier, e.status, state,
		e.other, e.other, e.flags, e.earlier, then)
}

// endpointHost returns the host of the Snowflake private endpoint that a
// provision execution of req provisions, in lower case, or "" for a route
// without a private endpoint (public, egress-ip) or an index URL without a
// host.
func endpointHost(req request.Request) string {
	switch req.Route {
	case request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
	default:
		return ""
	}
	host, err := provisionendpoint.IndexHost(req.Repository.IndexURL)
	if err != nil {
		return ""
	}
	return host
}

// sameEndpointHost reports whether the private endpoints of a and b would
// carry the same host in the same Snowflake account. Account identifiers
// and host names are compared without case, as Snowflake and DNS do.
func sameEndpointHost(a, b request.Request) bool {
	host := endpointHost(a)
	return host != "" && strings.EqualFold(a.Snowflake.Account, b.Snowflake.Account) && strings.EqualFold(host, endpointHost(b))
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
	if req.ID == "" || endpointHost(req) == "" {
		return nil
	}
	x, other, err := firstClash(ctx, runs, all, req, sameEndpointHost)
	if err != nil || x == nil {
		return err
	}
	return &hostClashError{
		requestID: req.ID,
		host:      endpointHost(req),
		account:   req.Snowflake.Account,
		other:     other.ID,
		earlier:   x.Name,
		status:    x.Status,
		flags:     flags,
	}
}
