package main

import (
	"context"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// defaultClashError is the error of a run whose repository.default_for
// names the level on which a provision execution of another request ID in
// the same Snowflake account sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY.
type defaultClashError struct {
	clashHolder
	// target is the object of the level, such as SCHEMA PLATFORM.PACKAGES.
	target string
}

var _ intakeConflict = (*defaultClashError)(nil)

func (e *defaultClashError) Error() string {
	rejection := e.rejection(retryRunFile)
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
		clashHolder: newClashHolder(req, other, x, all, flags),
		target:      target,
	}
	if err := conflict.setTeardown(ctx, runs, x); err != nil {
		return err
	}
	return conflict
}
