package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// noticePartition is the partition key of the claims on credential expiry
// notifications. The stack in infra/ lets the notifier's role reach only
// this partition key, and the roles that write the expiry records reach
// only credentialPartition, so it changes only with the stack.
const noticePartition = "credential#notices"

// Attributes of a notice claim besides the keys and expires_at: its state,
// and the Unix second at which a claim in state sending lapses.
const (
	attrNoticeState  = "state"
	attrClaimedUntil = "claimed_until"
)

// States of a notice claim.
const (
	noticeSending = "sending"
	noticeSent    = "sent"
)

// noticeKey keys the claim on a notification by a hash of its ID, so that
// the sort key stays within DynamoDB's 1,024-byte limit.
func noticeKey(id string) map[string]types.AttributeValue {
	return key(noticePartition, "notice#"+hashKey(id))
}

// ClaimNotice claims the notification id until until, so that of
// the callers with the same id only one sends it. It returns false when
// the notification was sent, or when another caller's claim lasts past
// now. retainUntil sets expires_at, after which DynamoDB drops the claim.
func (c *CredentialStore) ClaimNotice(ctx context.Context, id string, now, until, retainUntil time.Time) (bool, error) {
	s := c.store
	item := noticeKey(id)
	item[attrNoticeState] = stringAttr(noticeSending)
	item[attrClaimedUntil] = numberAttr(until.Unix())
	item[attrExpiresAt] = numberAttr(retainUntil.Unix())
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                s.tableName(),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (#state = :sending AND #until < :now)"),
		ExpressionAttributeNames: map[string]string{"#state": attrNoticeState, "#until": attrClaimedUntil},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": stringAttr(noticeSending),
			":now":     numberAttr(now.Unix()),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "claim credential notice %s", id)
	}
	return true, nil
}

// MarkNoticeSent records that the notification id was sent, so that
// ClaimNotice returns false for it until retainUntil.
func (c *CredentialStore) MarkNoticeSent(ctx context.Context, id string, retainUntil time.Time) error {
	s := c.store
	item := noticeKey(id)
	item[attrNoticeState] = stringAttr(noticeSent)
	item[attrExpiresAt] = numberAttr(retainUntil.Unix())
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tableName(), Item: item}); err != nil {
		return s.classify(err, "record credential notice %s as sent", id)
	}
	return nil
}

// ReleaseNotice drops the claim on the notification id, so that the
// next attempt can claim it. Releasing a missing claim returns nil.
func (c *CredentialStore) ReleaseNotice(ctx context.Context, id string) error {
	s := c.store
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 s.tableName(),
		Key:                       noticeKey(id),
		ConditionExpression:       aws.String("#state = :sending"),
		ExpressionAttributeNames:  map[string]string{"#state": attrNoticeState},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": stringAttr(noticeSending)},
	})
	if err != nil && !isConditionFailed(err) {
		return s.classify(err, "release credential notice %s", id)
	}
	return nil
}
