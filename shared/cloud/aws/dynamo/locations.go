package dynamo

import (
	"context"
	"fmt"
	"sort"

	"github.com/repolink/repolink/shared/workflow"
)

// locationPartition keys the object location records of one request, so
// that a teardown lists them with one Query. The stack in infra/ lets the
// Snowflake steps reach only partition keys that start with "locations#"
// for these items, so the prefix changes only with it.
func locationPartition(requestID string) string {
	return "locations#" + hashKey(requestID)
}

// locationSortKey keys a record by a hash of its registry key, so that the
// sort key stays within DynamoDB's 1,024-byte limit however long the names
// are.
func locationSortKey(registryKey string) string { return "location#" + hashKey(registryKey) }

// LocationStore keeps the databases and schemas in which runs create their
// repository and secret in the table. It implements
// workflow.LocationRegistry. The items have no expires_at, because
// teardown deletes them and a record that the TTL dropped would leave an
// earlier run's objects in place. It is safe for concurrent use.
type LocationStore struct {
	store *Store
}

var _ workflow.LocationRegistry = (*LocationStore)(nil)

// Locations returns the object location store on the same table and
// client.
func (s *Store) Locations() *LocationStore {
	return &LocationStore{store: s}
}

// Put stores a record, replacing the one with the same key.
func (l *LocationStore) Put(ctx context.Context, location workflow.ObjectLocation) error {
	s := l.store
	partition := locationPartition(location.Request)
	item, err := bodyItem(partition, locationSortKey(location.Key()), location)
	if err != nil {
		return fmt.Errorf("encode object location record of request %s: %w", location.Request, err)
	}
	item[attrRequest] = stringAttr(location.Request)
	if err := s.putItem(ctx, item); err != nil {
		return s.classifyIn(err, partition, "store object location record of request %s in %s.%s",
			location.Request, location.Database, location.Schema)
	}
	return nil
}

// List returns the records of a request in registry key order. It reads
// all pages of the request's partition with a strongly consistent Query,
// so that a teardown finds the record that a run wrote just before.
func (l *LocationStore) List(ctx context.Context, requestID string) ([]workflow.ObjectLocation, error) {
	list, err := queryBodies[workflow.ObjectLocation](ctx, l.store, locationPartition(requestID),
		"object location records of request "+requestID, "object location record")
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Key() < list[j].Key() })
	return list, nil
}

// Delete removes the record of location. Deleting a missing one returns
// nil.
func (l *LocationStore) Delete(ctx context.Context, location workflow.ObjectLocation) error {
	s := l.store
	partition := locationPartition(location.Request)
	if err := s.deleteItem(ctx, partition, locationSortKey(location.Key())); err != nil {
		return s.classifyIn(err, partition, "delete object location record of request %s in %s.%s",
			location.Request, location.Database, location.Schema)
	}
	return nil
}
