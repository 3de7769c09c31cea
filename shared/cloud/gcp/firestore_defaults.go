package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	firestore "google.golang.org/api/firestore/v1"

	"github.com/repolink/repolink/shared/workflow"
)

// The default repository records are in the subcollection records of the
// document default-levels of the waits collection. That document is never
// written, so listing the waits does not return them. A record's document
// ID is the hex SHA-256 of its key: the lowercase Snowflake account, the
// request ID and the object that sets the parameter, joined by slashes.
const (
	defaultsDocumentID = "default-levels"
	defaultRecordsID   = "records"
)

// Field of a default repository record besides key and body: the object
// that sets the parameter, such as SCHEMA DB.SCHEMA, for reading in the
// console.
const fieldTarget = "target"

// DefaultLevels is the workflow.DefaultRegistry on Firestore, next to the
// waits. Documents contain the record as workflow defines it, in body. It
// is safe for concurrent use.
type DefaultLevels struct {
	// The subcollections are those of the document default-levels.
	subcollections
}

var _ workflow.DefaultRegistry = (*DefaultLevels)(nil)

// NewDefaultLevels builds the Firestore client from opts, as NewWaits
// does, for the default repository records under the waits collection of
// cfg. An invalid cfg gives an InvalidRequest error that lists every
// problem.
func NewDefaultLevels(ctx context.Context, opts Options, cfg WaitsConfig) (*DefaultLevels, error) {
	sub, err := openSubcollections(ctx, opts, cfg, defaultsDocumentID)
	if err != nil {
		return nil, err
	}
	return &DefaultLevels{subcollections: sub}, nil
}

// RecordName returns the resource name of the record document of key.
func (s *DefaultLevels) RecordName(key string) string {
	return s.parent + "/" + defaultRecordsID + "/" + documentID(key)
}

// Put stores d in place of the record with the same key.
func (s *DefaultLevels) Put(ctx context.Context, d workflow.DefaultSetting) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode the default repository record of request %s on %s: %w", d.Request, d.Target, err)
	}
	doc := &firestore.Document{Fields: map[string]firestore.Value{
		fieldKey:    stringValue(d.Key()),
		fieldTarget: stringValue(d.Target),
		fieldBody:   stringValue(string(body)),
	}}
	name := s.RecordName(d.Key())
	if err := s.put(ctx, name, doc); err != nil {
		return classifyFirestore(err, name, "store the default repository record of request %s on %s", d.Request, d.Target)
	}
	return nil
}

// List returns every record in key order and reads every page.
func (s *DefaultLevels) List(ctx context.Context) ([]workflow.DefaultSetting, error) {
	list, err := listBodies[workflow.DefaultSetting](ctx, &s.subcollections, defaultRecordsID,
		"default repository records", "default repository record")
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Key() < list[j].Key() })
	return list, nil
}

// Delete removes the record of key. Deleting a missing record returns nil.
func (s *DefaultLevels) Delete(ctx context.Context, key string) error {
	name := s.RecordName(key)
	if err := s.remove(ctx, name); err != nil {
		return classifyFirestore(err, name, "delete the default repository record %s", key)
	}
	return nil
}

// defaultClaimsID is the subcollection of the default level claims, beside
// the records. A claim's document ID is the hex SHA-256 of its claim key,
// which has no request ID, so two requests write the same document.
const defaultClaimsID = "claims"

// UpdateClaim changes the claim of key with a create-if-absent write when
// the level has no claim, and an update-time precondition otherwise, so
// that a concurrent writer makes it read again.
func (s *DefaultLevels) UpdateClaim(ctx context.Context, key string, change workflow.ChangeClaim) error {
	op := "update the default level claim " + key
	return s.update(ctx, defaultClaimsID, key, op, func(doc *firestore.Document) (*firestore.Document, bool, error) {
		var stored *workflow.LevelClaim
		if doc != nil {
			stored = new(workflow.LevelClaim)
			if err := decodeBody(doc, stored, "default level claim"); err != nil {
				return nil, false, err
			}
		}
		next, write, err := change(stored)
		if err != nil || !write || next == nil {
			return nil, write, err
		}
		if next.Key() != key {
			return nil, false, fmt.Errorf("gcp: firestore %s: invalid change, which returned a claim with key %s instead of the same key", op, next.Key())
		}
		body, err := json.Marshal(next)
		if err != nil {
			return nil, false, fmt.Errorf("gcp: firestore %s: encode: %w", op, err)
		}
		return &firestore.Document{Fields: map[string]firestore.Value{
			fieldKey:    stringValue(key),
			fieldTarget: stringValue(next.Target),
			fieldBody:   stringValue(string(body)),
		}}, true, nil
	})
}
