package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	firestore "google.golang.org/api/firestore/v1"
)

// The start claims are in the subcollection claims of the document
// start-claims of the waits collection. That document is never written,
// so listing the waits does not return them. A claim's document ID is the
// hex SHA-256 of its key (request.Claim.Key), which has no request ID, so
// two requests write the same document.
const (
	startClaimsDocumentID = "start-claims"
	startClaimsID         = "claims"
)

// StartClaim records which request ID holds a name, such as a default
// level, that the webhook claims before it starts an execution.
type StartClaim struct {
	// Request is the ID of the request that holds the name.
	Request string `json:"request"`
	// Name is the claim as request.Claim.String renders it, such as
	// "default level SCHEMA PLATFORM.PACKAGES", for reading in the console.
	Name string `json:"name"`
	// ClaimedAt is when a delivery of Request last wrote the claim, just
	// before it started an execution.
	ClaimedAt time.Time `json:"claimed_at"`
	// Execution is the ID of the execution that the delivery started, or
	// "" until the delivery has recorded it.
	Execution string `json:"execution,omitempty"`
	// IndexHost, CredentialField and CredentialRef are set on the claim of
	// an index credential (request.ClaimCredential): the holder's index
	// host, the request field of its credential reference and that
	// reference. A reference names a secret and contains no secret value.
	IndexHost       string `json:"index_host,omitempty"`
	CredentialField string `json:"credential_field,omitempty"`
	CredentialRef   string `json:"credential_ref,omitempty"`
}

// StartClaims is the Firestore store of the webhook's start claims, next
// to the waits. It is safe for concurrent use.
type StartClaims struct {
	subcollections
}

// NewStartClaims builds the Firestore client from opts, as NewWaits does,
// for the start claims under the waits collection of cfg. An invalid cfg
// gives an InvalidRequest error that lists every problem.
func NewStartClaims(ctx context.Context, opts Options, cfg WaitsConfig) (*StartClaims, error) {
	sub, err := openSubcollections(ctx, opts, cfg, startClaimsDocumentID)
	if err != nil {
		return nil, err
	}
	return &StartClaims{subcollections: sub}, nil
}

// UpdateClaim passes the claim of key, or nil when there is none, to
// change, and stores what change returns when write is true: the claim, or
// nil to delete it. It creates an absent claim with a create-if-absent
// write and changes a stored one with an update-time precondition. So when
// two callers write the same key at the same moment, the second one reads
// the first one's claim and calls change again.
func (s *StartClaims) UpdateClaim(ctx context.Context, key string, change func(stored *StartClaim) (*StartClaim, bool, error)) error {
	op := "update the start claim " + key
	return s.update(ctx, startClaimsID, key, op, func(doc *firestore.Document) (*firestore.Document, bool, error) {
		var stored *StartClaim
		if doc != nil {
			stored = new(StartClaim)
			if err := decodeBody(doc, stored, "start claim"); err != nil {
				return nil, false, err
			}
		}
		next, write, err := change(stored)
		if err != nil || !write || next == nil {
			return nil, write, err
		}
		body, err := json.Marshal(next)
		if err != nil {
			return nil, false, fmt.Errorf("gcp: firestore %s: encode: %w", op, err)
		}
		return &firestore.Document{Fields: map[string]firestore.Value{
			fieldKey:  stringValue(key),
			fieldBody: stringValue(string(body)),
		}}, true, nil
	})
}
