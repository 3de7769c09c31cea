package main

import (
	"context"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
)

// defaultClashError is the error of a run whose repository.default_for
// names the level on which a provision execution of another request ID in
// the same Snowflake account sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY.
type defaultClashError struct {
	requestID string
	route     request.Route
	// target is the object of the level, such as SCHEMA PLATFORM.PACKAGES.
	target  string
	account string
	other   string
	earlier string
	status  string
	// latest is the latest provision execution of request other, the one
	// that a teardown of other must name.
	latest string
	// teardown and teardownStatus are the latest teardown of request other
	// that started after execution earlier, if any. It has not succeeded.
	teardown       string
	teardownStatus string
	flags          string
	// retry is the caller's action that starts the request again, one of
	// the retry constants, or "" for retryRunFile.
	retry string
	// redriven is the stopped execution of requestID whose redrive the
	// clash rejects, or "" for a new run.
	redriven string
}

var _ intakeConflict = (*defaultClashError)(nil)

func (e *defaultClashError) setFlags(flags string) { e.flags = flags }

func (e *defaultClashError) setRetry(retry string) { e.retry = retry }

func (e *defaultClashError) setRedriven(execution string) { e.redriven = execution }

func (e *defaultClashError) execution() string { return e.earlier }

func (e *defaultClashError) Error() string {
	retry := e.retry
	if retry == "" {
		retry = retryRunFile
	}
	rejection := clash.Rejection{
		RequestID: e.requestID,
		Route:     e.route,
		Account:   e.account,
		Holder: clash.Holder{
			Request:        e.other,
			Execution:      e.earlier,
			Status:         e.status,
			Teardown:       e.teardown,
			TeardownStatus: e.teardownStatus,
		},
		Commands: repolinkCommands(e.flags, e.other, e.latest),
		Retry:    retry,
		Redriven: e.redriven,
	}
	return rejection.DefaultLevel(e.target)
}

// checkDefaultClash returns a *defaultClashError when req's
// repository.default_for names the level of a provision execution of
// another request ID in the same Snowflake account whose resources may
// exist, by the rules of checkObjectClash. Without the check, the run
// would build everything up to its default step and fail there with a
// Conflict, because the default step claims the level for one request.
//
// Only the latest execution of each other request that may have built
// counts, because a run that moves default_for to another level unsets
// the level that the earlier run set. Like checkObjectClash, a start runs
// the check under the start locks of req's ID and of its claims, which
// include the level, so of two requests that start with one level at the
// same moment, only the first passes.
//
// NOTE: the default step lets a request take over a level whose value a
// person has changed since the other request set it. This check reads no
// Snowflake value, so it rejects such a request until the other request
// is torn down.
func checkDefaultClash(ctx context.Context, runs *intakeRuns, all []engine.Execution, req request.Request, flags string) error {
	target := request.DefaultTarget(req)
	if req.ID == "" || target == "" {
		return nil
	}
	decided := map[string]bool{}
	for i := range all {
		other, ok := provisionRequest(all[i])
		if !ok || other.ID == "" || other.ID == req.ID || decided[other.ID] {
			continue
		}
		live, err := mayHaveResources(ctx, runs, all[i], other.ID)
		if err != nil {
			return err
		}
		if !live {
			continue
		}
		decided[other.ID] = true
		if !request.SameDefaultLevel(req, other) {
			continue
		}
		owned, err := ownedEarlier(ctx, runs, all[i+1:], req, other, request.SameDefaultLevel)
		if err != nil {
			return err
		}
		if owned {
			continue
		}
		return newDefaultClash(ctx, runs, all, req, other, all[i], target, flags)
	}
	return nil
}

// newDefaultClash returns the *defaultClashError of req against execution
// x of request other, with the latest teardown of other since x.
func newDefaultClash(ctx context.Context, runs *intakeRuns, all []engine.Execution, req, other request.Request, x engine.Execution, target, flags string) error {
	conflict := &defaultClashError{
		requestID: req.ID,
		route:     req.Route,
		target:    target,
		account:   req.Snowflake.Account,
		other:     other.ID,
		earlier:   x.Name,
		status:    x.Status,
		latest:    latestRunIn(all, other.ID),
		flags:     flags,
	}
	// A teardown that failed or runs is the one to finish, not a new one.
	teardown, err := runs.latestTeardownAfter(ctx, other.ID, x)
	if err != nil {
		return err
	}
	if teardown != nil {
		conflict.teardown, conflict.teardownStatus = teardown.Name, teardown.Status
	}
	return conflict
}
