package main

import (
	"context"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// credentialClashError is the error of a run whose index credential
// reference names the secret of a provision execution of another request
// ID, whose resources may exist, while the run sends it to another index
// host (request.SharedCredential).
type credentialClashError struct {
	clashHolder
	// field and host are the rejected request's credential field and index
	// host, and holderField and holderHost those of the holder.
	field, host             string
	holderField, holderHost string
}

var (
	_ intakeConflict = (*credentialClashError)(nil)
	_ redriveClash   = (*credentialClashError)(nil)
)

func (e *credentialClashError) Error() string {
	rejection := e.rejection("")
	return rejection.Credential(e.field, e.host, e.holderField, e.holderHost)
}

// sharesCredential reports whether a and b reference one index credential
// and send it to different index hosts, in any Snowflake account and on
// any route.
func sharesCredential(a, b request.Request) bool {
	_, _, shared := request.SharedCredential(a, b)
	return shared
}

// checkCredentialClash returns a *credentialClashError when req references
// the index credential of a provision execution of another request ID that
// counts by the rules of checkObjectClash, and sends it to another index
// host. The credential stays bound to the index host of the request that
// used it first, so an execution that started after a live execution of
// req's ID with the same credential is not checked. Requests that send one
// credential to one host, such as two repositories on one server, pass.
//
// all are the provision executions that objectClash gets, the latest
// started first. They contain the requests with a credential key of req
// (claimKeys).
func checkCredentialClash(ctx context.Context, runs *intakeRuns, all []engine.Execution, req request.Request, flags string) error {
	if req.ID == "" || len(request.IndexCredentialRefs(req)) == 0 {
		return nil
	}
	x, other, err := firstClash(ctx, runs, all, req, sharesCredential)
	if err != nil || x == nil {
		return err
	}
	mine, theirs, _ := request.SharedCredential(req, other)
	return &credentialClashError{
		clashHolder: newClashHolder(req, other, *x, all, flags),
		field:       mine.Path,
		host:        request.IndexHost(req),
		holderField: theirs.Path,
		holderHost:  request.IndexHost(other),
	}
}
