package httpapi

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/request"
	claimclash "github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/secretref"
	"github.com/repolink/repolink/shared/webhook"
)

// credentialClash is an index credential claim of a request that another
// request ID holds for another index host.
type credentialClash struct {
	holder claimHolder
	// field is the rejected request's credential field, and holderField
	// and holderHost the holder's field and index host.
	field, holderField, holderHost string
}

// credentialTake is a credential claim that a delivery may write, with
// the item as it read it.
type credentialTake struct {
	claim request.CredentialClaim
	read  dynamo.Claim
}

// checkCredentials reads the index credential claims of req
// (request.CredentialClaims). The credential stays bound to the index host
// of the request that used it first. So it returns a clash when another
// request ID whose resources may exist holds a claim for a reference that
// names the same secret (secretref.Same) and another index host.
// Otherwise it returns the claims without a live holder, which the
// delivery takes. A live holder with the same index host, or with another
// secret under the same coarse key, keeps its claim.
//
// NOTE: a claim item has one holder, so a request that uses a held
// credential with the same index host records no claim of its own. Once
// the holder is torn down, a request with another index host can take the
// credential while that request still uses it.
func (c *claimCheck) checkCredentials(ctx context.Context, req request.Request) (*credentialClash, []credentialTake, error) {
	var takes []credentialTake
	for _, claim := range request.CredentialClaims(req) {
		read, err := c.webhook.Claims.ReadClaim(ctx, claim.Key())
		if err != nil {
			return nil, nil, fmt.Errorf("read the claim of %s: %w", claim.Claim, err)
		}
		conflict, take, err := c.assessCredential(ctx, req, claim, read)
		if err != nil || conflict != nil {
			return conflict, nil, err
		}
		if take {
			takes = append(takes, credentialTake{claim: claim, read: read})
		}
	}
	return nil, takes, nil
}

// assessCredential decides on read, the stored credential claim of claim.
// It returns a clash as checkCredentials describes, and take true when no
// request ID with resources that may exist holds the claim.
func (c *claimCheck) assessCredential(ctx context.Context, req request.Request, claim request.CredentialClaim, read dynamo.Claim) (*credentialClash, bool, error) {
	holder, keep, err := c.assess(ctx, read)
	if err != nil || keep {
		return nil, false, err
	}
	if holder == nil {
		return nil, true, nil
	}
	if read.IndexHost == request.IndexHost(req) || !secretref.Same(claim.Ref, read.CredentialRef) {
		return nil, false, nil
	}
	return &credentialClash{holder: *holder, field: claim.Field, holderField: read.CredentialField, holderHost: read.IndexHost}, false, nil
}

// takeCredentials writes the credential claims takes of req for
// execution name, and reads and decides again after each write that
// another delivery got in before. On an error it returns the claims that
// it took, which the caller releases with its own.
func (w *Webhook) takeCredentials(ctx context.Context, check *claimCheck, req request.Request, name string, takes []credentialTake) ([]takenClaim, error) {
	var taken []takenClaim
	for _, t := range takes {
		claimedAt := w.now()
		claim := dynamo.Claim{Request: req.ID, Execution: name, ClaimedAt: claimedAt,
			ExpiresAt:       claimedAt.Add(claimStartGrace + claimExpiryMargin),
			IndexHost:       request.IndexHost(req),
			CredentialField: t.claim.Field,
			CredentialRef:   t.claim.Ref,
		}
		written, err := w.takeCredential(ctx, check, req, t, claim)
		if err != nil {
			return taken, err
		}
		if written != nil {
			taken = append(taken, *written)
		}
	}
	return taken, nil
}

// takeCredential writes claim for t, up to maxClaimAttempts times while
// other deliveries change the item. It returns nil when a live holder now
// keeps the item.
func (w *Webhook) takeCredential(ctx context.Context, check *claimCheck, req request.Request, t credentialTake, claim dynamo.Claim) (*takenClaim, error) {
	key := t.claim.Key()
	read := t.read
	for attempt := 1; attempt <= maxClaimAttempts; attempt++ {
		if attempt > 1 {
			var err error
			if read, err = w.Claims.ReadClaim(ctx, key); err != nil {
				return nil, fmt.Errorf("read the claim of %s: %w", t.claim.Claim, err)
			}
			conflict, take, err := check.assessCredential(ctx, req, t.claim, read)
			if err != nil {
				return nil, err
			}
			if conflict != nil {
				return nil, w.credentialClashError(req, *conflict)
			}
			if !take {
				return nil, nil
			}
		}
		written, ok, err := w.Claims.WriteClaim(ctx, key, "", t.claim.String(), read, claim)
		if err != nil {
			return nil, fmt.Errorf("write the claim of %s: %w", t.claim.Claim, err)
		}
		if ok {
			return &takenClaim{key: key, claim: written}, nil
		}
	}
	return nil, fmt.Errorf("claim %s: other deliveries changed the claim %d times; send the request again", t.claim.Claim, maxClaimAttempts)
}

// credentialClashError returns the conflict for a credential clash of
// req.
func (w *Webhook) credentialClashError(req request.Request, c credentialClash) *webhook.ConflictError {
	rejection := claimclash.Rejection{
		RequestID: req.ID,
		Route:     req.Route,
		Account:   req.Snowflake.Account,
		Holder:    c.holder.clashHolder(),
		Commands:  w.clashCommands(),
		Retry:     "send the request again",
	}
	reason := rejection.Credential(c.field, request.IndexHost(req), c.holderField, c.holderHost)
	return &webhook.ConflictError{Ticket: req.ID, Execution: c.holder.execution, Reason: reason}
}
