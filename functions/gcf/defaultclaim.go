package gcf

import (
	"context"
	"fmt"
	"time"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/webhook"
)

// startClaimStore stores the start claims of requests. *gcpadapter.StartClaims
// implements it.
type startClaimStore interface {
	// UpdateClaim passes the claim of key, or nil, to change and stores
	// what change returns when write is true, nil deleting the claim. The
	// write succeeds only while the claim is as change saw it. Otherwise
	// UpdateClaim reads it again and calls change again.
	UpdateClaim(ctx context.Context, key string, change func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error)) error
}

var _ startClaimStore = (*gcpadapter.StartClaims)(nil)

// startClaimGrace is how long a claim without an execution still counts
// as held, because its delivery is starting one. The claim is written just
// before the start and records the execution just after it. A claim whose
// start failed, or whose record of the execution failed, is decided by its
// request's executions once the grace has passed.
const startClaimGrace = 2 * time.Minute

// pendingExecution names the holder's execution in a message while its
// delivery is starting it, before Google Workflows has named it.
const pendingExecution = "not yet named"

// claimDefaultLevel claims the level that req's repository.default_for
// names in its Snowflake account, with a conditional write, before an
// execution of req starts. It returns the claim that it wrote, or nil when
// req sets no default. It returns the *webhook.ConflictError of
// webhook.DefaultLevelConflict when another request ID holds the level
// (defaultHolder), so that of two requests that name one level only the
// first starts, even when their deliveries arrive at the same moment.
//
// A start that Google Workflows rejects deletes the claim again
// (releaseDefaultClaim). After a timeout, a network error or a 5xx
// response the execution may have been created, so the claim stays. It
// blocks other requests for startClaimGrace, and after that while the
// request has an execution that may have built and names the level.
func (e *workflowExecutions) claimDefaultLevel(ctx context.Context, req request.Request) (*gcpadapter.StartClaim, error) {
	claim, ok := request.DefaultClaim(req)
	if e.claims == nil || req.ID == "" || !ok {
		return nil, nil
	}
	if err := e.checkLegacyDefaultClaim(ctx, req, claim); err != nil {
		return nil, err
	}
	var conflict error
	written := &gcpadapter.StartClaim{Request: req.ID, Name: claim.String(), ClaimedAt: e.now()}
	err := e.claims.UpdateClaim(ctx, claim.Key(), func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
		var err error
		conflict, err = e.levelConflict(ctx, req, claim, stored)
		if err != nil || conflict != nil {
			return nil, false, err
		}
		return written, true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim %s in Snowflake account %s for request %s: %w", claim, claim.Account, req.ID, err)
	}
	if conflict != nil {
		return nil, conflict
	}
	return written, nil
}

// checkLegacyDefaultClaim returns the conflict of claimDefaultLevel when
// another request ID holds the level under claim.LegacyKey, the key that a
// request that wrote its account with a suffix that request.AccountKey
// drops took before claims used AccountKey. It reads that claim and never
// writes it.
func (e *workflowExecutions) checkLegacyDefaultClaim(ctx context.Context, req request.Request, claim request.Claim) error {
	key := claim.LegacyKey()
	if key == claim.Key() {
		return nil
	}
	var conflict error
	err := e.claims.UpdateClaim(ctx, key, func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
		var err error
		conflict, err = e.levelConflict(ctx, req, claim, stored)
		return nil, false, err
	})
	if err != nil {
		return fmt.Errorf("claim %s in Snowflake account %s for request %s: %w", claim, claim.LegacyAccount, req.ID, err)
	}
	return conflict
}

// levelConflict returns the conflict of claimDefaultLevel when stored is
// another request ID's claim and its holder still holds the level, and nil
// when the level is free for req.
func (e *workflowExecutions) levelConflict(ctx context.Context, req request.Request, claim request.Claim, stored *gcpadapter.StartClaim) (conflict, err error) {
	if stored == nil || stored.Request == req.ID {
		return nil, nil
	}
	holder, err := e.defaultHolder(ctx, claim, *stored)
	if err != nil || holder == nil {
		return nil, err
	}
	return webhook.DefaultLevelConflict(req, *holder, clash.Commands{}), nil
}

// recordClaimExecution records execution, which the delivery that wrote
// claim for req started, in that claim while no other delivery has written
// it since. A record that fails is logged, and the claim then counts as
// starting until startClaimGrace has passed.
func (e *workflowExecutions) recordClaimExecution(ctx context.Context, req request.Request, claim *gcpadapter.StartClaim, execution string) {
	level, ok := request.DefaultClaim(req)
	if claim == nil || !ok {
		return
	}
	err := e.claims.UpdateClaim(ctx, level.Key(), func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
		if stored == nil || stored.Request != claim.Request || !stored.ClaimedAt.Equal(claim.ClaimedAt) {
			return nil, false, nil
		}
		next := *stored
		next.Execution = execution
		return &next, true, nil
	})
	if err != nil {
		e.logger().Warn("record the execution of a default level claim failed", "error", err, "ticket", req.ID, "execution", execution)
	}
}

// releaseDefaultClaim deletes claim, which the delivery of req wrote
// before a start that created no execution, while no other delivery has
// written the level since and no execution is recorded in it. A delete
// that fails is logged, and the claim then holds for startClaimGrace.
func (e *workflowExecutions) releaseDefaultClaim(ctx context.Context, req request.Request, claim *gcpadapter.StartClaim) {
	level, ok := request.DefaultClaim(req)
	if claim == nil || !ok {
		return
	}
	err := e.claims.UpdateClaim(ctx, level.Key(), func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
		if stored == nil || stored.Request != claim.Request || !stored.ClaimedAt.Equal(claim.ClaimedAt) || stored.Execution != "" {
			return nil, false, nil
		}
		return nil, true, nil
	})
	if err != nil {
		e.logger().Warn("release the default level claim of a rejected start failed", "error", err, "ticket", req.ID)
	}
}

// defaultHolder returns the holder of the default level claim stored,
// which another request ID holds, or nil when the level is free. The
// holder is the latest execution of its request that runs, succeeded or
// stopped after a building step (builtBeforeStop), when that execution
// names the level. A later run that names another level or none unsets
// the level in its default step, as repolink run counts only a request's
// latest run that may have built. A claim written within startClaimGrace
// holds until its delivery records the execution that it started.
//
// NOTE: Google Cloud has no teardown workflow yet, so no teardown frees a
// level here. The level stays held until the holder's request moves it.
func (e *workflowExecutions) defaultHolder(ctx context.Context, claim request.Claim, stored gcpadapter.StartClaim) (*clash.Holder, error) {
	runs, err := e.runsOf(ctx, stored.Request, requestLabelValue(stored.Request))
	if err != nil {
		return nil, err
	}
	if stored.Execution == "" && e.now().Sub(stored.ClaimedAt) < startClaimGrace {
		return &clash.Holder{Request: stored.Request, Execution: pendingExecution, Status: clash.StatusStarting}, nil
	}
	for _, x := range runs {
		if !isOpenState(x.State) && x.State != "SUCCEEDED" {
			built, _, err := e.builtBeforeStop(ctx, x.ID)
			if err != nil {
				return nil, err
			}
			if !built {
				continue
			}
		}
		if webhook.MovesDefaultLevel(claim, x.request) {
			return nil, nil
		}
		return &clash.Holder{Request: stored.Request, Execution: x.ID, Status: statusOfState(x.State)}, nil
	}
	return nil, nil
}
