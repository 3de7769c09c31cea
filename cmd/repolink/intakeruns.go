package main

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// intakeRuns reads the executions that the intake checks judge through the
// intake index of an engine store, so that a check reads the executions of
// the requests it can conflict with and no others.
type intakeRuns struct {
	eng *engine.Engine
	ix  *intakeIndex
}

// openIntakeRuns returns the intakeRuns of eng's store with its index
// caught up, and the function that releases the index.
func openIntakeRuns(ctx context.Context, eng *engine.Engine) (*intakeRuns, func(), error) {
	ix, release, err := acquireIntakeIndex(eng)
	if err != nil {
		return nil, nil, err
	}
	if err := ix.catchUp(ctx, eng); err != nil {
		release()
		return nil, nil, err
	}
	return &intakeRuns{eng: eng, ix: ix}, release, nil
}

// requestExecutions returns the executions of machine for the request with
// ID id, the latest started first, as intakeRuns.executions finds them.
func requestExecutions(ctx context.Context, eng *engine.Engine, machine, id string) ([]engine.Execution, error) {
	runs, release, err := openIntakeRuns(ctx, eng)
	if err != nil {
		return nil, err
	}
	defer release()
	return runs.executions(ctx, machine, []string{id})
}

// checkCandidates calls check with the intakeRuns of eng's store and the
// candidates for req, and releases the index after check returns.
func checkCandidates(ctx context.Context, eng *engine.Engine, req request.Request, check func(*intakeRuns, []engine.Execution) error) error {
	runs, release, err := openIntakeRuns(ctx, eng)
	if err != nil {
		return err
	}
	defer release()
	all, err := runs.candidates(ctx, req)
	if err != nil {
		return err
	}
	return check(runs, all)
}

// candidates returns the provision executions of req's ID, of every
// request that named one of req's claim keys (claimKeys) and of every
// request that used one of req's index credentials with another index host
// (credentialClaimants), the latest started first. Every provision
// execution that placementConflict, objectClash, checkHostClash or
// checkCredentialClash can name for req is among them.
func (r *intakeRuns) candidates(ctx context.Context, req request.Request) ([]engine.Execution, error) {
	ids, err := r.ix.claimants(ctx, claimKeys(req))
	if err != nil {
		return nil, err
	}
	others, err := r.ix.credentialClaimants(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, id := range others {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if !slices.Contains(ids, req.ID) {
		ids = append(ids, req.ID)
	}
	return r.executions(ctx, provisionMachine, ids)
}

// executions returns the executions of machine for the request IDs ids,
// the latest started first and, of two started at the same time, the one
// whose name sorts first, as engine.ListMachineInputs orders them.
func (r *intakeRuns) executions(ctx context.Context, machine string, ids []string) ([]engine.Execution, error) {
	var all []engine.Execution
	for _, id := range ids {
		names, err := r.ix.runs(ctx, machine, id)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			x, err := r.eng.Describe(ctx, name)
			// An index built from a store that has since been replaced
			// may name an execution that the store lacks.
			if errors.Is(err, engine.ErrExecutionNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			all = append(all, x)
		}
	}
	slices.SortFunc(all, func(a, b engine.Execution) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return all, nil
}

// latestRunIn returns the name of the latest provision execution of the
// request with ID id in all, or "" when all has none. all lists the
// executions the latest started first and contains every provision
// execution of id, as candidates returns them.
func latestRunIn(all []engine.Execution, id string) string {
	for _, x := range all {
		if runOf(x, provisionMachine, id) {
			return x.Name
		}
	}
	return ""
}

// teardownsAfterRun returns the teardowns of the request with ID id that
// started after the execution x, the latest started first.
func (r *intakeRuns) teardownsAfterRun(ctx context.Context, id string, x engine.Execution) ([]engine.Execution, error) {
	teardowns, err := r.executions(ctx, teardownMachine, []string{id})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(teardowns, func(t engine.Execution) bool {
		return !t.StartedAt.After(x.StartedAt)
	}), nil
}

// teardownsAfter reports whether a teardown of the request with ID id
// started after the execution x, and whether one of them has succeeded.
func (r *intakeRuns) teardownsAfter(ctx context.Context, id string, x engine.Execution) (started, succeeded bool, err error) {
	teardowns, err := r.teardownsAfterRun(ctx, id, x)
	if err != nil {
		return false, false, err
	}
	for _, t := range teardowns {
		if t.Status == engine.StatusSucceeded {
			return true, true, nil
		}
	}
	return len(teardowns) > 0, false, nil
}

// latestTeardownAfter returns the latest started teardown of the request
// with ID id that started after the execution x, or nil when there is
// none, as latestTeardown does.
func (r *intakeRuns) latestTeardownAfter(ctx context.Context, id string, x engine.Execution) (*engine.Execution, error) {
	teardowns, err := r.teardownsAfterRun(ctx, id, x)
	if err != nil || len(teardowns) == 0 {
		return nil, err
	}
	return &teardowns[0], nil
}
