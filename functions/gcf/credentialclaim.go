package gcf

import (
	"context"
	"fmt"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/secretref"
	"github.com/repolink/repolink/shared/webhook"
)

// credentialUse is the use of an index credential by the request that
// holds its claim.
type credentialUse struct {
	holder clash.Holder
	// host, field and ref are the holder's index host, credential field
	// and credential reference.
	host, field, ref string
}

// claimCredentials claims each index credential of req
// (request.CredentialClaims) in its start claim document before an
// execution of req starts, with the conditional writes of
// claimDefaultLevel. It returns the claims that it wrote, by key. An index
// credential stays bound to the index host of the request that used it
// first. So when another request ID holds a claim and sends a reference to
// the same secret to another index host (credentialConflict), it releases
// the claims that it wrote and returns the *webhook.ConflictError. A holder
// with the same index host keeps its claim.
//
// NOTE: a claim document has one holder, so a request that uses a held
// credential with the same index host writes no claim of its own. Once
// the holder's latest run moves to another credential, a request with
// another index host can take the credential while that request still
// uses it.
func (e *workflowExecutions) claimCredentials(ctx context.Context, req request.Request) (map[string]*gcpadapter.StartClaim, error) {
	if e.claims == nil || req.ID == "" {
		return nil, nil
	}
	written := map[string]*gcpadapter.StartClaim{}
	for _, c := range request.CredentialClaims(req) {
		claim := &gcpadapter.StartClaim{Request: req.ID, Name: c.String(), ClaimedAt: e.now(),
			IndexHost: request.IndexHost(req), CredentialField: c.Field, CredentialRef: c.Ref}
		var conflict error
		wrote := false
		err := e.claims.UpdateClaim(ctx, c.Key(), func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
			conflict, wrote = nil, false
			if stored != nil && stored.Request != req.ID {
				use, err := e.credentialHolder(ctx, c, *stored)
				if err != nil {
					return nil, false, err
				}
				if use != nil {
					conflict = credentialConflict(req, c, *use)
					return nil, false, nil
				}
			}
			wrote = true
			return claim, true, nil
		})
		if err != nil {
			e.releaseCredentialClaims(ctx, req, written)
			return nil, fmt.Errorf("claim %s for request %s: %w", c.Claim, req.ID, err)
		}
		if conflict != nil {
			e.releaseCredentialClaims(ctx, req, written)
			return nil, conflict
		}
		if wrote {
			written[c.Key()] = claim
		}
	}
	return written, nil
}

// credentialHolder returns the use of the credential of claim c by the
// request that stored holds, or nil when that request no longer uses it.
// A claim written within startClaimGrace whose delivery has not recorded
// its execution counts with the fields it stores. Otherwise the holder is
// the latest execution of its request that runs, succeeded or stopped
// after a building step (builtBeforeStop), while its request references
// the same secret.
//
// NOTE: Google Cloud has no teardown workflow yet, so no teardown frees a
// credential here.
func (e *workflowExecutions) credentialHolder(ctx context.Context, c request.CredentialClaim, stored gcpadapter.StartClaim) (*credentialUse, error) {
	if stored.Execution == "" && e.now().Sub(stored.ClaimedAt) < startClaimGrace {
		holder := clash.Holder{Request: stored.Request, Execution: pendingExecution, Status: clash.StatusStarting}
		return &credentialUse{holder: holder, host: stored.IndexHost, field: stored.CredentialField, ref: stored.CredentialRef}, nil
	}
	runs, err := e.runsOf(ctx, stored.Request, requestLabelValue(stored.Request))
	if err != nil {
		return nil, err
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
		for _, ref := range request.IndexCredentialRefs(x.request) {
			if secretref.Same(ref.Ref, c.Ref) {
				holder := clash.Holder{Request: stored.Request, Execution: x.ID, Status: statusOfState(x.State)}
				return &credentialUse{holder: holder, host: request.IndexHost(x.request), field: ref.Path, ref: ref.Ref}, nil
			}
		}
		return nil, nil
	}
	return nil, nil
}

// credentialConflict returns the *webhook.ConflictError for req, whose
// credential claim c another request uses as use, or nil when use sends
// another secret under the same key or the same secret to req's index
// host.
func credentialConflict(req request.Request, c request.CredentialClaim, use credentialUse) error {
	host := request.IndexHost(req)
	if use.host == host || !secretref.Same(c.Ref, use.ref) {
		return nil
	}
	rejection := clash.Rejection{
		RequestID: req.ID,
		Route:     req.Route,
		Account:   req.Snowflake.Account,
		Holder:    use.holder,
		Retry:     "send the request again",
	}
	reason := rejection.Credential(c.Field, host, use.field, use.host)
	return &webhook.ConflictError{Ticket: req.ID, Execution: use.holder.Execution, Reason: reason}
}

// recordCredentialExecutions records execution, which the delivery of req
// started, in each credential claim of written while no other delivery
// has written it since. A record that fails is logged, and the claim then
// counts as starting until startClaimGrace has passed.
func (e *workflowExecutions) recordCredentialExecutions(ctx context.Context, req request.Request, written map[string]*gcpadapter.StartClaim, execution string) {
	for key, claim := range written {
		err := e.claims.UpdateClaim(ctx, key, func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
			if stored == nil || stored.Request != claim.Request || !stored.ClaimedAt.Equal(claim.ClaimedAt) {
				return nil, false, nil
			}
			next := *stored
			next.Execution = execution
			return &next, true, nil
		})
		if err != nil {
			e.logger().Warn("record the execution of an index credential claim failed", "error", err, "ticket", req.ID, "execution", execution)
		}
	}
}

// releaseCredentialClaims deletes the credential claims of written, which
// the delivery of req wrote before a start that created no execution,
// while no other delivery has written them since and no execution is
// recorded in them. A delete that fails is logged, and the claim then
// holds for startClaimGrace.
func (e *workflowExecutions) releaseCredentialClaims(ctx context.Context, req request.Request, written map[string]*gcpadapter.StartClaim) {
	for key, claim := range written {
		err := e.claims.UpdateClaim(ctx, key, func(stored *gcpadapter.StartClaim) (*gcpadapter.StartClaim, bool, error) {
			if stored == nil || stored.Request != claim.Request || !stored.ClaimedAt.Equal(claim.ClaimedAt) || stored.Execution != "" {
				return nil, false, nil
			}
			return nil, true, nil
		})
		if err != nil {
			e.logger().Warn("release an index credential claim of a rejected start failed", "error", err, "ticket", req.ID)
		}
	}
}
