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

// Attributes of a signed item besides the keys, the execution and the
// expiry.
const (
	// attrSignedAt is the signed time, in Unix seconds, of the latest
	// accepted signed delivery of a ticket.
	attrSignedAt = "signed_at"
	// attrClaimSignedAt is the signed time, in Unix seconds, of the latest
	// delivery that claimed the ticket with ClaimSigned, accepted or not
	// yet settled.
	attrClaimSignedAt = "claim_signed_at"
	// attrClaimKey is the replay key of the delivery that claimed
	// attrClaimSignedAt.
	attrClaimKey = "claim_key"
)

// SignedClaim is the result of ClaimSigned.
type SignedClaim struct {
	// Claimed is true when the delivery claimed the ticket and may start
	// its execution.
	Claimed bool
	// LatestSignedAt is the signed time of the delivery that blocks the
	// claim when Claimed is false.
	LatestSignedAt time.Time
	// Execution is the execution that the blocking delivery started or
	// that its response named. It is "" while that delivery has not
	// settled, and Pending is then true.
	Execution string
	Pending   bool
}

// ClaimSigned claims ticket for the delivery with the replay key replayKey,
// signed at signedAt, before the delivery starts anything. One conditional
// write checks that no accepted or claiming delivery of the ticket is
// signed later and stores signedAt as the ticket's latest claim. So of two
// concurrent deliveries, the older cannot start after the newer claimed the
// ticket. A delivery signed in the same
// second as the latest claim is not older.
//
// The claimant must then call RecordSigned when it started or named an
// execution, or ReleaseSigned when it started nothing. The item expires
// at until, when the claimant's signature is no longer valid.
func (s *Store) ClaimSigned(ctx context.Context, ticket, replayKey string, signedAt, until time.Time) (SignedClaim, error) {
	// A second round covers a blocking claim that was released between
	// the write and the read.
	for range 2 {
		_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:        s.tableName(),
			Key:              key(ticketPartition(ticket), signedSortKey),
			UpdateExpression: aws.String("SET #claimed = :signed, #claim = :key, #expires = :expires"),
			ConditionExpression: aws.String("attribute_not_exists(pk) OR " +
				"((attribute_not_exists(#claimed) OR #claimed <= :signed) AND (attribute_not_exists(#signed) OR #signed <= :signed))"),
			ExpressionAttributeNames: map[string]string{"#claimed": attrClaimSignedAt, "#claim": attrClaimKey,
				"#signed": attrSignedAt, "#expires": attrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":signed": numberAttr(signedAt.Unix()),
				":key": stringAttr(replayKey), ":expires": numberAttr(until.Unix())},
		})
		if err == nil {
			return SignedClaim{Claimed: true}, nil
		}
		if !isConditionFailed(err) {
			return SignedClaim{}, s.classifyIn(err, ticketPartition(ticket), "claim the signed time of a delivery of ticket %s", ticket)
		}

		blocking, found, err := s.readSigned(ctx, ticket, signedAt)
		if err != nil {
			return SignedClaim{}, err
		}
		if found {
			return blocking, nil
		}
	}
	return SignedClaim{Pending: true, LatestSignedAt: signedAt}, nil
}

// readSigned returns the accepted or claiming delivery of ticket that is
// signed after signedAt, preferring the accepted one, and false when the
// item has none.
func (s *Store) readSigned(ctx context.Context, ticket string, signedAt time.Time) (SignedClaim, bool, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tableName(), Key: key(ticketPartition(ticket), signedSortKey),
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return SignedClaim{}, false, s.classifyIn(err, ticketPartition(ticket), "read the latest signed delivery of ticket %s", ticket)
	}
	if signed, err := numberOf(out.Item, attrSignedAt); err == nil && signed > signedAt.Unix() {
		return SignedClaim{LatestSignedAt: time.Unix(signed, 0), Execution: stringOf(out.Item, attrExecution)}, true, nil
	}
	if claimed, err := numberOf(out.Item, attrClaimSignedAt); err == nil && claimed > signedAt.Unix() {
		return SignedClaim{LatestSignedAt: time.Unix(claimed, 0), Pending: true}, true, nil
	}
	return SignedClaim{}, false, nil
}

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
	if _, ok := out.Item[attrSignedAt]; !ok {
		return time.Time{}, "", false, nil
	}
	seconds, err := numberOf(out.Item, attrSignedAt)
	if err != nil {
		return time.Time{}, "", false, s.classifyIn(err, ticketPartition(ticket), "read the latest signed delivery of ticket %s", ticket)
	}
	return time.Unix(seconds, 0), stringOf(out.Item, attrExecution), true, nil
}

// RecordSigned keeps signedAt and execution as the latest accepted signed
// delivery of ticket, unless the ticket has one signed later. Of two
// deliveries signed in the same second, the one recorded last is kept. One
// conditional write decides, so concurrent calls never move the time back.
// An item that ClaimSigned created keeps its expiry, and a new item
// expires at until.
//
// The record can expire with the signature of its delivery, because every
// delivery that the receivers still accept by then is signed later.
func (s *Store) RecordSigned(ctx context.Context, ticket string, signedAt time.Time, execution string, until time.Time) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tableName(),
		Key:       key(ticketPartition(ticket), signedSortKey),
		UpdateExpression: aws.String("SET #signed = :signed, #execution = :execution, " +
			"#expires = if_not_exists(#expires, :expires)"),
		ConditionExpression: aws.String("attribute_not_exists(#signed) OR #signed <= :signed"),
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

// ReleaseSigned ends the claim of the delivery with the replay key
// replayKey when it started nothing, such as one rejected with 409, so that
// only accepted deliveries keep older ones out. The ticket's latest claim
// goes back to its latest accepted delivery. A claim that a delivery
// signed later has taken over stays.
func (s *Store) ReleaseSigned(ctx context.Context, ticket, replayKey string) error {
	updates := []struct{ update, condition string }{
		{"SET #claimed = #signed REMOVE #claim", "#claim = :key AND attribute_exists(#signed)"},
		{"REMOVE #claimed, #claim", "#claim = :key AND attribute_not_exists(#signed)"},
	}
	for _, write := range updates {
		_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           s.tableName(),
			Key:                 key(ticketPartition(ticket), signedSortKey),
			UpdateExpression:    aws.String(write.update),
			ConditionExpression: aws.String(write.condition),
			ExpressionAttributeNames: map[string]string{"#claimed": attrClaimSignedAt, "#claim": attrClaimKey,
				"#signed": attrSignedAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":key": stringAttr(replayKey)},
		})
		if err == nil {
			return nil
		}
		if !isConditionFailed(err) {
			return s.classifyIn(err, ticketPartition(ticket), "release the signed time of a delivery of ticket %s", ticket)
		}
	}
	return nil
}

// CheckSigned returns a SignedClaim with Claimed set when no accepted or
// claiming delivery of ticket is signed after signedAt, and otherwise the
// delivery that blocks it. A delivery that claimed the ticket with
// ClaimSigned calls it right before it starts an execution, because a
// newer delivery may have claimed the ticket since.
func (s *Store) CheckSigned(ctx context.Context, ticket string, signedAt time.Time) (SignedClaim, error) {
	blocking, found, err := s.readSigned(ctx, ticket, signedAt)
	if err != nil || found {
		return blocking, err
	}
	return SignedClaim{Claimed: true}, nil
}
