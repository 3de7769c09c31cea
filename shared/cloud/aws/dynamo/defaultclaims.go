package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/workflow"
)

// Sort key prefixes of the default repository partition. The claims share
// the partition with the records, so that the roles that write records may
// write claims under the same dynamodb:LeadingKeys condition.
const (
	defaultRecordPrefix = "target#"
	defaultClaimPrefix  = "claim#"
)

// claimWriteAttempts bounds how often UpdateClaim reads a claim again after
// another writer changed it between the read and the conditional write.
const claimWriteAttempts = 8

// errClaimChanged reports a failed condition of a claim write.
var errClaimChanged = errors.New("the default level claim changed after it was read")

// defaultClaimSortKey keys a claim by a hash of its claim key, which has
// no request ID, so that two requests write the same item.
func defaultClaimSortKey(claimKey string) string { return defaultClaimPrefix + hashKey(claimKey) }

// UpdateClaim changes the claim of claimKey. It reads the item with a
// strongly consistent GetItem, and writes or deletes it with a condition
// expression: attribute_not_exists for a claim that was absent, and an
// unchanged body otherwise. A failed condition makes it read again.
func (d *DefaultStore) UpdateClaim(ctx context.Context, claimKey string, change workflow.ChangeClaim) error {
	for range claimWriteAttempts {
		err := d.updateClaimOnce(ctx, claimKey, change)
		if !errors.Is(err, errClaimChanged) {
			return err
		}
	}
	return workflow.Errorf(workflow.ErrTransient,
		"aws: dynamodb update default level claim %s in table %s: other writers changed it in each of %d attempts, so retry",
		claimKey, d.store.table, claimWriteAttempts)
}

func (d *DefaultStore) updateClaimOnce(ctx context.Context, claimKey string, change workflow.ChangeClaim) error {
	s := d.store
	itemKey := key(defaultPartition, defaultClaimSortKey(claimKey))
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.tableName(), Key: itemKey, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return s.classifyIn(err, defaultPartition, "read default level claim %s", claimKey)
	}
	var stored *workflow.LevelClaim
	oldBody := ""
	if out.Item != nil {
		oldBody = stringOf(out.Item, attrBody)
		stored = new(workflow.LevelClaim)
		if err := json.Unmarshal([]byte(oldBody), stored); err != nil {
			return fmt.Errorf("aws: dynamodb decode default level claim %s in table %s: %w", claimKey, s.table, err)
		}
	}

	next, write, err := change(stored)
	if err != nil || !write || (next == nil && stored == nil) {
		return err
	}
	if next != nil && next.Key() != claimKey {
		return fmt.Errorf("aws: dynamodb write default level claim %s: invalid change, which returned a claim with key %s instead of the same key", claimKey, next.Key())
	}
	condition := "attribute_not_exists(" + attrPK + ")"
	values := map[string]types.AttributeValue{}
	if stored != nil {
		condition = attrBody + " = :old"
		values[":old"] = stringAttr(oldBody)
	}
	if next == nil {
		_, err = s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: s.tableName(), Key: itemKey,
			ConditionExpression: aws.String(condition), ExpressionAttributeValues: values,
		})
	} else {
		err = d.putClaim(ctx, *next, itemKey, condition, values)
	}
	if isConditionFailed(err) {
		return errClaimChanged
	}
	if err != nil {
		return s.classifyIn(err, defaultPartition, "write default level claim %s", claimKey)
	}
	return nil
}

// putClaim writes c as the item itemKey on condition.
func (d *DefaultStore) putClaim(ctx context.Context, c workflow.LevelClaim,
	itemKey map[string]types.AttributeValue, condition string, values map[string]types.AttributeValue) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	item := itemKey
	item[attrDefaultKey] = stringAttr(c.Key())
	item[attrBody] = stringAttr(string(body))
	input := &dynamodb.PutItemInput{TableName: d.store.tableName(), Item: item, ConditionExpression: aws.String(condition)}
	if len(values) > 0 {
		input.ExpressionAttributeValues = values
	}
	_, err = d.store.client.PutItem(ctx, input)
	return err
}
