package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// runSortKey is the sort key of every run item.
const runSortKey = "run"

// Attributes of a run item besides the keys and version.
const (
	attrRequest = "request"
	// attrHolders maps the execution ARN of each holder to a map with the
	// attributes machine, redrive_count and taken_at.
	attrHolders      = "holders"
	attrMachine      = "machine"
	attrRedriveCount = "redrive_count"
	attrTakenAt      = "taken_at"
	// attrLatestTeardown is the execution ARN of the latest teardown that
	// took the item.
	attrLatestTeardown = "latest_teardown"
	// attrSince is the time, in Unix seconds, of the teardown record
	// marker.
	attrSince = "since"
)

// teardownRecordPartition keys the marker item of the teardown record. It
// starts with "run#" like the run items, so that the step roles reach it,
// and no run item has it, because theirs end in a SHA-256 hex digest.
const teardownRecordPartition = "run#teardown-record"

// DefaultRunHoldTTL keeps a run item this long after its last write. It is
// above the maximum duration of a Standard execution (one year), so the
// item outlives every holder that does not release it.
const DefaultRunHoldTTL = 367 * 24 * time.Hour

// runPartition keys the one item that records the executions that run a
// request. The stack in infra/ lets the step roles reach only partition
// keys that start with "run#" for these items, so the prefix changes only
// with it.
func runPartition(requestID string) string {
	return "run#" + hashKey(requestID)
}

// RunHolder is an execution that holds its request's run item.
type RunHolder struct {
	// Machine is the kind of the execution's state machine, such as
	// "provision" or "teardown".
	Machine string
	// RedriveCount is the execution's redrive count when it took the item.
	RedriveCount int
	// TakenAt is when it took the item, to the second.
	TakenAt time.Time
}

// RunHolders is a request's run item as ReadRunHolders found it.
type RunHolders struct {
	// Found is true when the request has an item.
	Found bool
	// Version counts the item's writes. WriteRunHolders writes only while
	// it is unchanged.
	Version int64
	// Holders maps the execution ARN of each holder to its holding.
	Holders map[string]RunHolder
	// LatestTeardown is the execution ARN of the latest teardown that
	// recorded itself when it took the item, or "" when none did.
	LatestTeardown string
}

// ReadRunHolders reads the run item of the request with a strongly
// consistent GetItem. A request without an item has no holders.
func (s *Store) ReadRunHolders(ctx context.Context, requestID string) (RunHolders, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.tableName(),
		Key:            key(runPartition(requestID), runSortKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return RunHolders{}, s.classify(err, "read the run item of request %s", requestID)
	}
	read := RunHolders{Holders: map[string]RunHolder{}}
	if out.Item == nil {
		return read, nil
	}
	read.Found = true
	read.LatestTeardown = stringOf(out.Item, attrLatestTeardown)
	invalid := func(err error) error {
		return fmt.Errorf("aws: dynamodb read the run item of request %s in table %s: %w; "+
			"delete the item once no execution of the request runs, and the next check writes it afresh", requestID, s.table, err)
	}
	if read.Version, err = numberOf(out.Item, attrVersion); err != nil {
		return RunHolders{}, invalid(err)
	}
	m, _ := out.Item[attrHolders].(*types.AttributeValueMemberM)
	if m == nil {
		return read, nil
	}
	for arn, v := range m.Value {
		attrs, ok := v.(*types.AttributeValueMemberM)
		if !ok {
			return RunHolders{}, invalid(fmt.Errorf("holder %s is %T, want a map", arn, v))
		}
		redrives, err := numberOf(attrs.Value, attrRedriveCount)
		if err != nil {
			return RunHolders{}, invalid(fmt.Errorf("holder %s: %w", arn, err))
		}
		takenAt, err := numberOf(attrs.Value, attrTakenAt)
		if err != nil {
			return RunHolders{}, invalid(fmt.Errorf("holder %s: %w", arn, err))
		}
		read.Holders[arn] = RunHolder{
			Machine:      stringOf(attrs.Value, attrMachine),
			RedriveCount: int(redrives),
			TakenAt:      time.Unix(takenAt, 0),
		}
	}
	return read, nil
}

// WriteRunHolders stores holders as the request's run item on the
// condition that the item is still as ReadRunHolders found it in read:
// absent, or present with the same version. It keeps the item's latest
// teardown. It returns false when the condition failed, and the caller
// then reads again.
func (s *Store) WriteRunHolders(ctx context.Context, requestID string, read RunHolders, holders map[string]RunHolder) (bool, error) {
	return s.WriteRunItem(ctx, requestID, read, holders, read.LatestTeardown)
}

// WriteRunItem works as WriteRunHolders, and stores latestTeardown as the
// execution ARN of the request's latest teardown in the same write.
func (s *Store) WriteRunItem(ctx context.Context, requestID string, read RunHolders, holders map[string]RunHolder, latestTeardown string) (bool, error) {
	item := key(runPartition(requestID), runSortKey)
	item[attrRequest] = stringAttr(requestID)
	if latestTeardown != "" {
		item[attrLatestTeardown] = stringAttr(latestTeardown)
	}
	item[attrVersion] = numberAttr(read.Version + 1)
	values := make(map[string]types.AttributeValue, len(holders))
	for arn, h := range holders {
		values[arn] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			attrMachine:      stringAttr(h.Machine),
			attrRedriveCount: numberAttr(int64(h.RedriveCount)),
			attrTakenAt:      numberAttr(h.TakenAt.Unix()),
		}}
	}
	item[attrHolders] = &types.AttributeValueMemberM{Value: values}
	item[attrExpiresAt] = numberAttr(s.Now().Add(s.RunHoldTTL).Unix())

	in := &dynamodb.PutItemInput{TableName: s.tableName(), Item: item}
	setVersionCondition(in, read.Found, read.Version)
	_, err := s.client.PutItem(ctx, in)
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "write the run item of request %s", requestID)
	}
	return true, nil
}

// ReleaseRunHolder removes the execution executionARN from the request's
// run item with one UpdateItem, on the condition that it holds the item
// with a redrive count of at most redriveCount. A later redrive of the
// same execution that took the item again therefore keeps it. It also
// raises the version, so that a WriteRunHolders that read the holder
// before fails and reads again. It returns false when the execution did
// not hold the item, and is safe to call again.
func (s *Store) ReleaseRunHolder(ctx context.Context, requestID, executionARN string, redriveCount int) (bool, error) {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        s.tableName(),
		Key:              key(runPartition(requestID), runSortKey),
		UpdateExpression: aws.String("REMOVE #holders.#arn SET #version = if_not_exists(#version, :zero) + :one"),
		ConditionExpression: aws.String("attribute_exists(#holders.#arn) AND " +
			"(attribute_not_exists(#holders.#arn.#redrives) OR #holders.#arn.#redrives <= :redrives)"),
		ExpressionAttributeNames: map[string]string{
			"#holders":  attrHolders,
			"#arn":      executionARN,
			"#redrives": attrRedriveCount,
			"#version":  attrVersion,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":redrives": numberAttr(int64(redriveCount)),
			":one":      numberAttr(1),
			":zero":     numberAttr(0),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "release the run item of request %s", requestID)
	}
	return true, nil
}

// StartTeardownRecord stores now as the start of the teardown record,
// unless a start is stored already. From that start on, every teardown
// that takes its request's run item records itself in the item as the
// request's latest teardown (WriteRunItem). The marker has no expiry.
func (s *Store) StartTeardownRecord(ctx context.Context, now time.Time) error {
	item := key(teardownRecordPartition, runSortKey)
	item[attrSince] = numberAttr(now.Unix())
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.tableName(),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil && !isConditionFailed(err) {
		return s.classify(err, "start the teardown record")
	}
	return nil
}

// TeardownRecordStart reads the start of the teardown record with a
// strongly consistent GetItem. It returns the zero time when no teardown
// has recorded itself yet.
func (s *Store) TeardownRecordStart(ctx context.Context) (time.Time, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.tableName(),
		Key:            key(teardownRecordPartition, runSortKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, s.classify(err, "read the start of the teardown record")
	}
	if out.Item == nil {
		return time.Time{}, nil
	}
	since, err := numberOf(out.Item, attrSince)
	if err != nil {
		return time.Time{}, fmt.Errorf("aws: dynamodb read the start of the teardown record in table %s: %w; "+
			"delete the item with partition key %s, and the next teardown writes it afresh", s.table, err, teardownRecordPartition)
	}
	// A marker without a time, such as one written by hand, counts as no
	// record, which makes readers fall back to the execution history.
	if since == 0 {
		return time.Time{}, nil
	}
	return time.Unix(since, 0), nil
}
