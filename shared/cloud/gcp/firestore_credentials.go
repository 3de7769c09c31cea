package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	firestore "google.golang.org/api/firestore/v1"

	"github.com/repolink/repolink/shared/workflow"
)

// The credential expiry records and the claims on their notifications are
// in the subcollections records and notices of the document
// credential-expiries of the waits collection. That document is never
// written, so listing the waits returns neither. A record and the claim of
// its notification have the same document ID, the hex SHA-256 of the
// record's key, which is the lowercase Snowflake account, a slash and the
// fully qualified SECRET.
const (
	credentialsDocumentID = "credential-expiries"
	credentialRecordsID   = "records"
	credentialNoticesID   = "notices"
	credentialChecksID    = "checks"
	credentialCheckKey    = "poller"
)

// Fields of a credential expiry record and of a notification claim. The
// record itself is stored as JSON in body, as a wait is, so a new field in
// workflow.CredentialExpiry needs no change here.
const (
	fieldKey          = "key"
	fieldSecret       = "secret"
	fieldExpiresAt    = "expires_at"
	fieldState        = "state"
	fieldClaimedUntil = "claimed_until"
)

// States of a notification claim.
const (
	NoticeSending = "sending"
	NoticeSent    = "sent"
)

// CredentialExpiries is the workflow.CredentialRegistry on Firestore, next
// to the waits. Update reads a record and writes it back with the
// precondition that its update time is still the one it read, so it never
// undoes a change that another poller or a run wrote after the read. It
// also keeps, per record, the claim that makes one poller send the
// notification that the credential expires soon. Documents contain the
// record as workflow defines it: names, times and credential references,
// never a credential. It is safe for concurrent use.
type CredentialExpiries struct {
	// The subcollections are those of the document credential-expiries.
	subcollections
}

var _ workflow.CredentialRegistry = (*CredentialExpiries)(nil)

// NewCredentialExpiries builds the Firestore client from opts, as NewWaits
// does, for the credential expiry records under the waits collection of
// cfg. An invalid cfg gives an InvalidRequest error that lists every
// problem.
func NewCredentialExpiries(ctx context.Context, opts Options, cfg WaitsConfig) (*CredentialExpiries, error) {
	sub, err := openSubcollections(ctx, opts, cfg, credentialsDocumentID)
	if err != nil {
		return nil, err
	}
	return &CredentialExpiries{subcollections: sub}, nil
}

// RecordName returns the resource name of the record document of key.
func (s *CredentialExpiries) RecordName(key string) string {
	return s.parent + "/" + credentialRecordsID + "/" + documentID(key)
}

// NoticeName returns the resource name of the notification claim document
// of key.
func (s *CredentialExpiries) NoticeName(key string) string {
	return s.parent + "/" + credentialNoticesID + "/" + documentID(key)
}

// Put stores c in place of the record with the same key, whatever that
// record is.
func (s *CredentialExpiries) Put(ctx context.Context, c workflow.CredentialExpiry) error {
	doc, err := encodeExpiry(c)
	if err != nil {
		return err
	}
	name := s.RecordName(c.Key())
	if err := s.put(ctx, name, doc); err != nil {
		return classifyFirestore(err, name, "store the credential expiry of secret %s", c.Secret)
	}
	return nil
}

// List returns every record, earliest expiry first, and reads every page.
func (s *CredentialExpiries) List(ctx context.Context) ([]workflow.CredentialExpiry, error) {
	list, err := listBodies[workflow.CredentialExpiry](ctx, &s.subcollections, credentialRecordsID,
		"credential expiries", "credential expiry")
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool {
		if !list[i].ExpiresAt.Equal(list[j].ExpiresAt) {
			return list[i].ExpiresAt.Before(list[j].ExpiresAt)
		}
		return list[i].Key() < list[j].Key()
	})
	return list, nil
}

// Delete removes the record of key and the claim of its notification.
// Deleting a missing record returns nil.
func (s *CredentialExpiries) Delete(ctx context.Context, key string) error {
	for _, name := range []string{s.RecordName(key), s.NoticeName(key)} {
		if err := s.remove(ctx, name); err != nil {
			return classifyFirestore(err, name, "delete the credential expiry of %s", key)
		}
	}
	return nil
}

// Update implements workflow.CredentialRegistry. It writes with the
// precondition that the record is as it was read, and after a conflicting
// write it reads again and calls change again, up to 8 times. Deleting the
// record also deletes the claim of its notification.
func (s *CredentialExpiries) Update(ctx context.Context, key string, change func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) error {
	deleted := false
	err := s.update(ctx, credentialRecordsID, key, "update the credential expiry of "+key,
		func(doc *firestore.Document) (*firestore.Document, bool, error) {
			var stored *workflow.CredentialExpiry
			if doc != nil {
				stored = new(workflow.CredentialExpiry)
				if err := decodeBody(doc, stored, "credential expiry"); err != nil {
					return nil, false, err
				}
			}
			next, err := change(stored)
			if err != nil {
				return nil, false, err
			}
			if next == nil {
				deleted = doc != nil
				return nil, doc != nil, nil
			}
			if next.Key() != key {
				return nil, false, fmt.Errorf("gcp: firestore update the credential expiry of %s: the changed record has the key %s", key, next.Key())
			}
			encoded, err := encodeExpiry(*next)
			if err != nil {
				return nil, false, err
			}
			if doc != nil && doc.Fields[fieldBody].StringValue == encoded.Fields[fieldBody].StringValue {
				return nil, false, nil
			}
			return encoded, true, nil
		})
	if err != nil || !deleted {
		return err
	}
	return s.deleteNotice(ctx, key)
}

func (s *CredentialExpiries) deleteNotice(ctx context.Context, key string) error {
	name := s.NoticeName(key)
	if err := s.remove(ctx, name); err != nil {
		return classifyFirestore(err, name, "delete the notification claim of %s", key)
	}
	return nil
}

// ClaimNotice claims the notification that the credential of c expires
// soon for one sender until until. It returns false when that notification
// for the same expiry time was sent, or when another sender's claim lasts
// past now. A claim for an earlier expiry time of the same SECRET is
// replaced.
func (s *CredentialExpiries) ClaimNotice(ctx context.Context, c workflow.CredentialExpiry, now, until time.Time) (bool, error) {
	key := c.Key()
	claimed := false
	err := s.update(ctx, credentialNoticesID, key, "claim the credential notification of "+key,
		func(doc *firestore.Document) (*firestore.Document, bool, error) {
			claimed = false
			if doc != nil && sameExpiry(doc, c.ExpiresAt) {
				if doc.Fields[fieldState].StringValue == NoticeSent {
					return nil, false, nil
				}
				claimedUntil, err := time.Parse(time.RFC3339Nano, doc.Fields[fieldClaimedUntil].TimestampValue)
				if err == nil && claimedUntil.After(now) {
					return nil, false, nil
				}
			}
			claimed = true
			return encodeNotice(c, NoticeSending, until), true, nil
		})
	if err != nil {
		return false, err
	}
	return claimed, nil
}

// MarkNoticeSent records that the notification of c was sent, so that no
// sender claims it again. It changes nothing when the claim is gone, such
// as after a teardown deleted the record, or is for another expiry time.
func (s *CredentialExpiries) MarkNoticeSent(ctx context.Context, c workflow.CredentialExpiry) error {
	key := c.Key()
	return s.update(ctx, credentialNoticesID, key, "record the credential notification of "+key+" as sent",
		func(doc *firestore.Document) (*firestore.Document, bool, error) {
			if doc == nil || !sameExpiry(doc, c.ExpiresAt) {
				return nil, false, nil
			}
			return encodeNotice(c, NoticeSent, time.Time{}), true, nil
		})
}

// ReleaseNotice drops the claim on the notification of c that lasts until
// until, after a failed send, so that the next poll can claim it at once.
// Another sender's claim, or a sent notification, stays.
func (s *CredentialExpiries) ReleaseNotice(ctx context.Context, c workflow.CredentialExpiry, until time.Time) error {
	key := c.Key()
	return s.update(ctx, credentialNoticesID, key, "release the credential notification claim of "+key,
		func(doc *firestore.Document) (*firestore.Document, bool, error) {
			if doc == nil || !sameExpiry(doc, c.ExpiresAt) || doc.Fields[fieldState].StringValue != NoticeSending {
				return nil, false, nil
			}
			claimedUntil, err := time.Parse(time.RFC3339Nano, doc.Fields[fieldClaimedUntil].TimestampValue)
			if err != nil || !claimedUntil.Equal(until) {
				return nil, false, nil
			}
			return nil, true, nil
		})
}

// ClaimCheck claims the credential checks of all pollers for one poll
// until until. It returns false while another poll's claim lasts past now,
// so that two polls that run at the same time do not both warn about the
// same record. The claim is one document, checks/<hex SHA-256 of
// "poller">, with the field claimed_until.
func (s *CredentialExpiries) ClaimCheck(ctx context.Context, now, until time.Time) (bool, error) {
	claimed := false
	err := s.update(ctx, credentialChecksID, credentialCheckKey, "claim the credential checks",
		func(doc *firestore.Document) (*firestore.Document, bool, error) {
			claimed = false
			if doc != nil {
				claimedUntil, err := time.Parse(time.RFC3339Nano, doc.Fields[fieldClaimedUntil].TimestampValue)
				if err == nil && claimedUntil.After(now) {
					return nil, false, nil
				}
			}
			claimed = true
			return &firestore.Document{Fields: map[string]firestore.Value{
				fieldClaimedUntil: {TimestampValue: until.UTC().Format(time.RFC3339Nano)},
			}}, true, nil
		})
	if err != nil {
		return false, err
	}
	return claimed, nil
}

// sameExpiry reports whether the claim document doc is for a credential
// that expires at expiresAt.
func sameExpiry(doc *firestore.Document, expiresAt time.Time) bool {
	stored, err := time.Parse(time.RFC3339Nano, doc.Fields[fieldExpiresAt].TimestampValue)
	return err == nil && stored.Equal(expiresAt)
}

// encodeExpiry returns the record document of c. The fields other than
// body copy parts of it for reading in the console.
func encodeExpiry(c workflow.CredentialExpiry) (*firestore.Document, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode the credential expiry of secret %s: %w", c.Secret, err)
	}
	return &firestore.Document{Fields: map[string]firestore.Value{
		fieldKey:       stringValue(c.Key()),
		fieldSecret:    stringValue(c.Secret),
		fieldExecution: stringValue(c.Execution),
		fieldExpiresAt: {TimestampValue: c.ExpiresAt.UTC().Format(time.RFC3339Nano)},
		fieldBody:      stringValue(string(body)),
	}}, nil
}

// encodeNotice returns the claim document of the notification of c in
// state, claimed until until, or with no claimed_until when until is zero.
func encodeNotice(c workflow.CredentialExpiry, state string, until time.Time) *firestore.Document {
	fields := map[string]firestore.Value{
		fieldKey:       stringValue(c.Key()),
		fieldExpiresAt: {TimestampValue: c.ExpiresAt.UTC().Format(time.RFC3339Nano)},
		fieldState:     stringValue(state),
	}
	if !until.IsZero() {
		fields[fieldClaimedUntil] = firestore.Value{TimestampValue: until.UTC().Format(time.RFC3339Nano)}
	}
	return &firestore.Document{Fields: fields}
}
