package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// replaySortKeyPrefix starts the sort key of a replay item, which shares
// the partition of its ticket, so that the webhook's role needs no other
// partition key.
const replaySortKeyPrefix = "replay#"

// ReserveReplay records replayKey, the webhook.Delivery.ReplayKey of a
// verified delivery of ticket, until until, unless an unexpired record of
// it exists. It returns true when this call recorded it: the delivery is new
// and the caller must later call SettleReplay or ReleaseReplay. Otherwise
// it returns false and the execution of the existing record, which is ""
// while the delivery that recorded it has not settled. One conditional
// write decides, so of concurrent deliveries of the same key one reserves
// it.
func (s *Store) ReserveReplay(ctx context.Context, ticket, replayKey string, until time.Time) (execution string, reserved bool, err error) {
	item := replayItemKey(ticket, replayKey)
	item[attrExpiresAt] = numberAttr(until.Unix())
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 s.tableName(),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #expires <= :now"),
		ExpressionAttributeNames:  map[string]string{"#expires": attrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": numberAttr(s.Now().Unix())},
	})
	if err == nil {
		return "", true, nil
	}
	if !isConditionFailed(err) {
		return "", false, s.classifyIn(err, ticketPartition(ticket), "record replay key of a delivery of ticket %s", ticket)
	}

	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tableName(), Key: replayItemKey(ticket, replayKey), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", false, s.classifyIn(err, ticketPartition(ticket), "read replay key of a delivery of ticket %s", ticket)
	}
	return stringOf(out.Item, attrExecution), false, nil
}

// SettleReplay stores execution, which the reserved delivery started or
// which its response named, in the replay record of replayKey. It writes
// nothing when TTL has already deleted the record, because an update
// would create an item without expires_at that never expires. No receiver
// accepts the delivery's signature by then.
func (s *Store) SettleReplay(ctx context.Context, ticket, replayKey, execution string) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.tableName(),
		Key:                       replayItemKey(ticket, replayKey),
		UpdateExpression:          aws.String("SET #execution = :execution"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#execution": attrExecution},
		ExpressionAttributeValues: map[string]types.AttributeValue{":execution": stringAttr(execution)},
	})
	if err != nil && !isConditionFailed(err) {
		return s.classifyIn(err, ticketPartition(ticket), "record execution %s of a delivery of ticket %s", execution, ticket)
	}
	return nil
}

// ReleaseReplay ends the reservation of replayKey by a delivery that started
// nothing, such as one rejected with 409, so that its sender can send it
// again. It lets the record expire now instead of deleting it, because the
// webhook's role may not delete ticket items, and TTL removes it later.
func (s *Store) ReleaseReplay(ctx context.Context, ticket, replayKey string) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.tableName(),
		Key:                       replayItemKey(ticket, replayKey),
		UpdateExpression:          aws.String("SET #expires = :now"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(#execution)"),
		ExpressionAttributeNames:  map[string]string{"#expires": attrExpiresAt, "#execution": attrExecution},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": numberAttr(s.Now().Unix())},
	})
	if err != nil && !isConditionFailed(err) {
		return s.classifyIn(err, ticketPartition(ticket), "release replay key of a delivery of ticket %s", ticket)
	}
	return nil
}

// replayItemKey returns the keys of the replay item of replayKey.
func replayItemKey(ticket, replayKey string) map[string]types.AttributeValue {
	return key(ticketPartition(ticket), replaySortKeyPrefix+replayKey)
}
