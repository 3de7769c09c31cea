package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	firestore "google.golang.org/api/firestore/v1"

	"github.com/repolink/repolink/shared/workflow"
)

// The object location records are in the subcollections of the document
// object-locations of the waits collection, one subcollection for each
// request, called request- and the hex SHA-256 of the request ID. That
// document is never written, so listing the waits does not return them. A
// record's document ID is the hex SHA-256 of its workflow.ObjectLocation
// key.
const (
	locationsDocumentID      = "object-locations"
	locationCollectionPrefix = "request-"
)

// ObjectLocations is the workflow.LocationRegistry on Firestore, next to
// the waits. Documents contain the record as workflow defines it, in body.
// It is safe for concurrent use.
type ObjectLocations struct {
	// The subcollections are those of the document object-locations.
	subcollections
}

var _ workflow.LocationRegistry = (*ObjectLocations)(nil)

// NewObjectLocations builds the Firestore client from opts, as NewWaits
// does, for the object location records under the waits collection of
// cfg. An invalid cfg gives an InvalidRequest error that lists every
// problem.
func NewObjectLocations(ctx context.Context, opts Options, cfg WaitsConfig) (*ObjectLocations, error) {
	sub, err := openSubcollections(ctx, opts, cfg, locationsDocumentID)
	if err != nil {
		return nil, err
	}
	return &ObjectLocations{subcollections: sub}, nil
}

// locationCollection returns the ID of the subcollection of a request's
// records.
func locationCollection(requestID string) string {
	return locationCollectionPrefix + documentID(requestID)
}

// RecordName returns the resource name of the record document of l.
func (s *ObjectLocations) RecordName(l workflow.ObjectLocation) string {
	return s.parent + "/" + locationCollection(l.Request) + "/" + documentID(l.Key())
}

// Put stores l in place of the record with the same key.
func (s *ObjectLocations) Put(ctx context.Context, l workflow.ObjectLocation) error {
	body, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode the object location record of request %s: %w", l.Request, err)
	}
	// The request field is for reading in the console.
	doc := &firestore.Document{Fields: map[string]firestore.Value{
		fieldKey:     stringValue(l.Key()),
		fieldRequest: stringValue(l.Request),
		fieldBody:    stringValue(string(body)),
	}}
	name := s.RecordName(l)
	if err := s.put(ctx, name, doc); err != nil {
		return classifyFirestore(err, name, "store the object location record of request %s in %s.%s", l.Request, l.Database, l.Schema)
	}
	return nil
}

// List returns the records of a request in key order and reads every
// page.
func (s *ObjectLocations) List(ctx context.Context, requestID string) ([]workflow.ObjectLocation, error) {
	list, err := listBodies[workflow.ObjectLocation](ctx, &s.subcollections, locationCollection(requestID),
		"object location records of request "+requestID, "object location record")
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Key() < list[j].Key() })
	return list, nil
}

// Delete removes the record of l. Deleting a missing record returns nil.
func (s *ObjectLocations) Delete(ctx context.Context, l workflow.ObjectLocation) error {
	name := s.RecordName(l)
	if err := s.remove(ctx, name); err != nil {
		return classifyFirestore(err, name, "delete the object location record of request %s in %s.%s", l.Request, l.Database, l.Schema)
	}
	return nil
}
