package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/workflow"
)

// waitPartition is the partition key of every wait item.
const waitPartition = "wait"

// Attributes of a wait item besides the keys. The wait itself is stored as
// JSON in body, so that a new field in workflow.Wait needs no change here.
const (
	attrToken     = "token"
	attrExecution = "execution"
	attrBody      = "body"
	attrDeadline  = "deadline"
)

// waitSortKey keys a wait by a hash of its token, so the sort key stays
// within DynamoDB's 1,024-byte limit however long the task token is.
func waitSortKey(token string) string { return "token#" + hashKey(token) }

// Put stores a wait. Storing the same token again keeps the first wait and
// returns nil, like a retried registration expects.
func (s *Store) Put(ctx context.Context, w workflow.Wait) error {
	if w.Token == "" {
		return workflow.Invalid("aws: dynamodb store wait of %s: the task token is empty", w.Execution)
	}
	body, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode wait of %s: %w", w.Execution, err)
	}
	item := key(waitPartition, waitSortKey(w.Token))
	item[attrToken] = stringAttr(w.Token)
	item[attrExecution] = stringAttr(w.Execution)
	item[attrBody] = stringAttr(string(body))
	item[attrDeadline] = numberAttr(w.Deadline.Unix())
	item[attrExpiresAt] = numberAttr(w.Deadline.Add(s.WaitRetention).Unix())

	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.tableName(),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if isConditionFailed(err) {
		return nil
	}
	if err != nil {
		return s.classify(err, "store wait of %s", w.Execution)
	}
	return nil
}

// List returns every open wait, earliest deadline first. It reads all pages
// of the wait partition with a strongly consistent Query, so a wait stored
// a moment ago is listed.
func (s *Store) List(ctx context.Context) ([]workflow.Wait, error) {
	input := &dynamodb.QueryInput{
		TableName:                 s.tableName(),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(waitPartition)},
		ProjectionExpression:      aws.String(attrBody),
		ConsistentRead:            aws.Bool(true),
	}
	var waits []workflow.Wait
	for page := dynamodb.NewQueryPaginator(s.client, input); page.HasMorePages(); {
		out, err := page.NextPage(ctx)
		if err != nil {
			return nil, s.classify(err, "list waits")
		}
		for _, item := range out.Items {
			var w workflow.Wait
			if err := json.Unmarshal([]byte(stringOf(item, attrBody)), &w); err != nil {
				return nil, fmt.Errorf("aws: dynamodb decode wait in table %s: %w", s.table, err)
			}
			waits = append(waits, w)
		}
	}
	sort.SliceStable(waits, func(i, j int) bool {
		if !waits[i].Deadline.Equal(waits[j].Deadline) {
			return waits[i].Deadline.Before(waits[j].Deadline)
		}
		return waits[i].Token < waits[j].Token
	})
	return waits, nil
}

// Delete removes the wait of token. Deleting a token that is not stored
// returns nil.
func (s *Store) Delete(ctx context.Context, token string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: s.tableName(),
		Key:       key(waitPartition, waitSortKey(token)),
	})
	if err != nil {
		return s.classify(err, "delete wait")
	}
	return nil
}
