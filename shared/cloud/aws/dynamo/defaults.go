package dynamo

import (
	"context"
	"fmt"
	"sort"

	"github.com/repolink/repolink/shared/workflow"
)

// defaultPartition is the partition key of every default repository
// record. All records share it, so that the default step and teardown list
// them with one Query. A request has at most one record for each account,
// database and schema that a run set the default on, so the partition
// stays small. The stack in infra/ lets the roles that write these items
// reach only this partition key, so it changes only with the stack.
const defaultPartition = "default#levels"

// Attribute of a default repository item besides the keys and body: the
// registry key in plain text, for operators who read the table.
const attrDefaultKey = "key"

// DefaultStore keeps the records of the levels on which runs set the
// default repository parameter in the table. It implements
// workflow.DefaultRegistry like the SQLite store of repolink up. The items
// have no expires_at, because teardown deletes them and a record that the
// TTL dropped would leave a run's default set. It is safe for concurrent
// use.
type DefaultStore struct {
	store *Store
}

var _ workflow.DefaultRegistry = (*DefaultStore)(nil)

// Defaults returns the default repository store on the same table and
// client.
func (s *Store) Defaults() *DefaultStore {
	return &DefaultStore{store: s}
}

// defaultSortKey keys a record by a hash of its registry key, so that the
// sort key stays within DynamoDB's 1,024-byte limit however long the
// account, request and target names are.
func defaultSortKey(key string) string { return defaultRecordPrefix + hashKey(key) }

// Put stores a record, replacing the one with the same key.
func (d *DefaultStore) Put(ctx context.Context, setting workflow.DefaultSetting) error {
	s := d.store
	item, err := bodyItem(defaultPartition, defaultSortKey(setting.Key()), setting)
	if err != nil {
		return fmt.Errorf("encode default repository record of request %s on %s: %w", setting.Request, setting.Target, err)
	}
	item[attrDefaultKey] = stringAttr(setting.Key())
	if err := s.putItem(ctx, item); err != nil {
		return s.classifyIn(err, defaultPartition, "store default repository record of request %s on %s", setting.Request, setting.Target)
	}
	return nil
}

// List returns every record in registry key order, without the claims. It
// reads all pages of the partition with a strongly consistent Query, so
// that a run reads the record that the run before it wrote.
func (d *DefaultStore) List(ctx context.Context) ([]workflow.DefaultSetting, error) {
	list, err := queryBodiesWithPrefix[workflow.DefaultSetting](ctx, d.store, defaultPartition, defaultRecordPrefix,
		"default repository records", "default repository record")
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Key() < list[j].Key() })
	return list, nil
}

// Delete removes the record of a registry key. Deleting a missing one
// returns nil.
func (d *DefaultStore) Delete(ctx context.Context, registryKey string) error {
	s := d.store
	if err := s.deleteItem(ctx, defaultPartition, defaultSortKey(registryKey)); err != nil {
		return s.classifyIn(err, defaultPartition, "delete default repository record %s", registryKey)
	}
	return nil
}
