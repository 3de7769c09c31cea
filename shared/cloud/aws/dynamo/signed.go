package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// signedSortKey is the sort key of a ticket's signed item, which shares
// the partition of its ticket, as replay items do.
const signedSortKey = "signed"

// attrSignedAt is the signed time, in Unix seconds, of the latest accepted
// signed delivery of a ticket.
const attrSignedAt = "signed_at"

// LatestSigned returns the signed time of the latest signed delivery that
// the webhook accepted for ticket, with the execution that the delivery
// started or that its response named. It returns found false when the
// ticket has no such record, such as after the record expired.
func (s *Store) LatestSigned(ctx context.Context, ticket string) (signedAt time.Time, execution string, found bool, err error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tableName(), Key: key(ticketPartition(ticket), signedSortKey),
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, "", false, s.classifyIn(err, ticketPartition(ticket), "read the latest signed delivery of ticket %s", ticket)
	}
	if out.Item == nil {
		return time.Time{}, "", false, nil
	}
	seconds, err := numberOf(out.Item, attrSignedAt)
	if err != nil {
		return time.Time{}, "", false, s.classifyIn(err, ticketPartition(ticket), "read the latest signed delivery of ticket %s", ticket)
	}
	return time.Unix(seconds, 0), stringOf(out.Item, attrExecution), true, nil
}

// RecordSigned keeps signedAt and execution as the latest accepted signed
// delivery of ticket until until, unless the ticket has one signed later.
// Of two deliveries signed in the same second, the one recorded last is
// kept. One conditional write decides, so concurrent calls never move the
// time back.
//
// The record can expire with the signature of its delivery, because every
// delivery that the receivers still accept by then is signed later.
func (s *Store) RecordSigned(ctx context.Context, ticket string, signedAt time.Time, execution string, until time.Time) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.tableName(),
		Key:                 key(ticketPartition(ticket), signedSortKey),
		UpdateExpression:    aws.String("SET #signed = :signed, #execution = :execution, #expires = :expires"),
		ConditionExpression: aws.String("attribute_not_exists(pk) OR #signed <= :signed"),
		ExpressionAttributeNames: map[string]string{"#signed": attrSignedAt, "#execution": attrExecution,
			"#expires": attrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":signed": numberAttr(signedAt.Unix()),
			":execution": stringAttr(execution), ":expires": numberAttr(until.Unix())},
	})
	if err != nil && !isConditionFailed(err) {
		return s.classifyIn(err, ticketPartition(ticket), "record the latest signed delivery of ticket %s", ticket)
	}
	return nil
}
