package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/workflow"
)

// credentialPartition is the partition key of every credential expiry
// item. All records share it, so that the poller lists them with one
// Query, and the partition stays small because each SECRET has at most
// one record. The stack in infra/ lets the roles that write these items
// reach only this partition key, so it changes only with the stack.
const credentialPartition = "credential#expiries"

// Attribute of a credential expiry item besides the keys, body and
// expires_at: the registry key in plain text, for operators who read the
// table.
const attrCredentialKey = "key"

// DefaultCredentialRetention keeps a record this long past the expiry of
// its credential. The poller deletes the records that it no longer needs,
// so the TTL removes only a renewable record whose renewal has failed on
// every poll for this long, or one that no poller reads any more.
const DefaultCredentialRetention = 30 * 24 * time.Hour

// CredentialStore keeps the expiry records of the index credentials in
// runs' SECRETs in the table. It implements workflow.CredentialRegistry
// like the SQLite store of repolink up. It is safe for concurrent use.
type CredentialStore struct {
	store *Store
	// Retention sets expires_at: the credential's expiry plus Retention.
	Retention time.Duration
}

var _ workflow.CredentialRegistry = (*CredentialStore)(nil)

// Credentials returns the credential expiry store on the same table and
// client.
func (s *Store) Credentials() *CredentialStore {
	return &CredentialStore{store: s, Retention: DefaultCredentialRetention}
}

// credentialSortKey keys a record by a hash of its registry key, so that
// the sort key stays within DynamoDB's 1,024-byte limit however long the
// account and SECRET names are.
func credentialSortKey(key string) string { return "secret#" + hashKey(key) }

// Put stores a record, replacing the one with the same key.
func (c *CredentialStore) Put(ctx context.Context, expiry workflow.CredentialExpiry) error {
	s := c.store
	item, err := c.item(expiry)
	if err != nil {
		return err
	}
	if err := s.putItem(ctx, item); err != nil {
		return s.classifyIn(err, credentialPartition, "store credential expiry of secret %s", expiry.Secret)
	}
	return nil
}

// item returns the item of a record.
func (c *CredentialStore) item(expiry workflow.CredentialExpiry) (map[string]types.AttributeValue, error) {
	item, err := bodyItem(credentialPartition, credentialSortKey(expiry.Key()), expiry)
	if err != nil {
		return nil, fmt.Errorf("encode credential expiry of secret %s: %w", expiry.Secret, err)
	}
	item[attrCredentialKey] = stringAttr(expiry.Key())
	item[attrExpiresAt] = numberAttr(expiry.ExpiresAt.Add(c.Retention).Unix())
	return item, nil
}

// List returns every record, the earliest expiry first. It reads all pages
// of the partition with a strongly consistent Query.
func (c *CredentialStore) List(ctx context.Context) ([]workflow.CredentialExpiry, error) {
	list, err := queryBodies[workflow.CredentialExpiry](ctx, c.store, credentialPartition,
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

// Delete removes the record of a registry key. Deleting a missing one
// returns nil.
func (c *CredentialStore) Delete(ctx context.Context, registryKey string) error {
	s := c.store
	if err := s.deleteItem(ctx, credentialPartition, credentialSortKey(registryKey)); err != nil {
		return s.classifyIn(err, credentialPartition, "delete credential expiry %s", registryKey)
	}
	return nil
}

// credentialUpdateAttempts bounds how often Update reads a record again
// after other writers changed it.
const credentialUpdateAttempts = 10

// Update changes the record of registryKey as one atomic step: it reads
// the item with a strongly consistent GetItem and writes the result of
// change with a condition on the body it read, reading again when the
// condition fails. change returning nil deletes the record.
func (c *CredentialStore) Update(ctx context.Context, registryKey string, change func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) error {
	for range credentialUpdateAttempts {
		done, err := c.updateOnce(ctx, registryKey, change)
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("aws: dynamodb update credential expiry %s in table %s: the item changed on every attempt", registryKey, c.store.table)
}

// updateOnce runs one attempt of Update and returns false when another
// writer changed the item after it was read.
func (c *CredentialStore) updateOnce(ctx context.Context, registryKey string, change func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) (bool, error) {
	s := c.store
	itemKey := key(credentialPartition, credentialSortKey(registryKey))
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            s.tableName(),
		Key:                  itemKey,
		ProjectionExpression: aws.String(attrBody),
		ConsistentRead:       aws.Bool(true),
	})
	if err != nil {
		return false, s.classifyIn(err, credentialPartition, "read credential expiry %s", registryKey)
	}
	body, found := stringOf(out.Item, attrBody), len(out.Item) > 0
	var stored *workflow.CredentialExpiry
	if found {
		stored = new(workflow.CredentialExpiry)
		if err := json.Unmarshal([]byte(body), stored); err != nil {
			return false, fmt.Errorf("aws: dynamodb decode credential expiry in table %s: %w", s.table, err)
		}
	}
	next, err := change(stored)
	if err != nil {
		return false, err
	}
	if next != nil && next.Key() != registryKey {
		return false, fmt.Errorf("update credential expiry %s: the changed record has key %s", registryKey, next.Key())
	}

	condition := aws.String("attribute_not_exists(pk)")
	values := map[string]types.AttributeValue(nil)
	var names map[string]string
	if found {
		condition = aws.String("#body = :read")
		names = map[string]string{"#body": attrBody}
		values = map[string]types.AttributeValue{":read": stringAttr(body)}
	}
	switch {
	case next == nil && !found:
		return true, nil
	case next == nil:
		_, err = s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.tableName(), Key: itemKey,
			ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values})
	default:
		var item map[string]types.AttributeValue
		if item, err = c.item(*next); err != nil {
			return false, err
		}
		_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tableName(), Item: item,
			ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values})
	}
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classifyIn(err, credentialPartition, "update credential expiry %s", registryKey)
	}
	return true, nil
}
