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
// one record. The stack in infra/ lets the
// roles that write these items reach only partition keys that start with
// "credential#", so the prefix changes only with it.
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
	body, err := json.Marshal(expiry)
	if err != nil {
		return fmt.Errorf("encode credential expiry of secret %s: %w", expiry.Secret, err)
	}
	item := key(credentialPartition, credentialSortKey(expiry.Key()))
	item[attrCredentialKey] = stringAttr(expiry.Key())
	item[attrBody] = stringAttr(string(body))
	item[attrExpiresAt] = numberAttr(expiry.ExpiresAt.Add(c.Retention).Unix())

	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tableName(), Item: item})
	if err != nil {
		return s.classify(err, "store credential expiry of secret %s", expiry.Secret)
	}
	return nil
}

// List returns every record, the earliest expiry first. It reads all pages
// of the partition with a strongly consistent Query.
func (c *CredentialStore) List(ctx context.Context) ([]workflow.CredentialExpiry, error) {
	s := c.store
	input := &dynamodb.QueryInput{
		TableName:                 s.tableName(),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(credentialPartition)},
		ProjectionExpression:      aws.String(attrBody),
		ConsistentRead:            aws.Bool(true),
	}
	var list []workflow.CredentialExpiry
	for page := dynamodb.NewQueryPaginator(s.client, input); page.HasMorePages(); {
		out, err := page.NextPage(ctx)
		if err != nil {
			return nil, s.classify(err, "list credential expiries")
		}
		for _, item := range out.Items {
			var expiry workflow.CredentialExpiry
			if err := json.Unmarshal([]byte(stringOf(item, attrBody)), &expiry); err != nil {
				return nil, fmt.Errorf("aws: dynamodb decode credential expiry in table %s: %w", s.table, err)
			}
			list = append(list, expiry)
		}
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
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: s.tableName(),
		Key:       key(credentialPartition, credentialSortKey(registryKey)),
	})
	if err != nil {
		return s.classify(err, "delete credential expiry %s", registryKey)
	}
	return nil
}
