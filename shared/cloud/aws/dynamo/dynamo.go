// Package dynamo keeps the registered long waits, the tickets that webhook
// deliveries started, the endpoint reservations of Snowflake accounts, the
// executions that run each request, the expiries of the index credentials
// in runs' SECRETs and the levels on which runs set the default repository
// in one DynamoDB table, for the Lambda deployment.
//
// The table has a string partition key pk, a string sort key sk and the TTL
// attribute expires_at (Unix seconds). Items are laid out as:
//
//	wait          pk "wait"                                            sk "token#<sha256 of the task token>"
//	ticket        pk "ticket#<sha256 of the ticket>"                   sk "ticket"
//	replay        pk "ticket#<sha256 of the ticket>"                   sk "replay#<webhook.Delivery.ReplayKey>"
//	signed        pk "ticket#<sha256 of the ticket>"                   sk "signed"
//	reservations  pk "endpoints#<sha256 of the lower-case account>"    sk "reservations"
//	run           pk "run#<sha256 of the request ID>"                  sk "run"
//	credential    pk "credential#expiries"                             sk "secret#<sha256 of the account/SECRET key>"
//	claim         pk "claim#<sha256 of the claim key>"                 sk "claim"
//	default       pk "default#levels"                                  sk "target#<sha256 of the account/request/target key>"
//
// All waits share one partition so that the poller reads them with a single
// Query, and so do all credential expiries and all default repository
// records. Each provision run in its long wait has one open wait, each
// SECRET one expiry and each level of a request one default record, so
// these partitions stay small. Each account has one reservations item with all
// its places, so that one conditional write decides on all of them. A
// claim item records which request ID holds one Snowflake object name or
// index host of an account (request.Claim).
package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	awscloud "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/workflow"
)

// Attribute names of the table.
const (
	attrPK        = "pk"
	attrSK        = "sk"
	attrExpiresAt = "expires_at"
)

// Client is the part of the DynamoDB API that Store calls;
// *dynamodb.Client implements it.
type Client interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// Retention defaults for the TTL attribute.
const (
	// DefaultWaitRetention keeps a wait this long past its deadline, so that
	// the poller still finds it and fails its task after the deadline, even
	// when polls were paused for a while.
	DefaultWaitRetention = 7 * 24 * time.Hour
	// DefaultDeliveryRetention keeps a ticket's record, with the runs it
	// started, longer than Step Functions keeps a Standard execution's
	// history (90 days). While both exist, the webhook starts a changed
	// ticket's run above every run the record lists, so it never reuses a
	// name whose execution aged out while a later run is still open.
	DefaultDeliveryRetention = 91 * 24 * time.Hour
)

// Store keeps waits and deliveries in one table. It is safe for concurrent
// use.
type Store struct {
	client Client
	table  string
	// Now returns the current time, which sets received times and TTLs.
	Now func() time.Time
	// WaitRetention and DeliveryRetention set expires_at: a wait's deadline
	// plus WaitRetention, a ticket's last delivery plus DeliveryRetention.
	WaitRetention     time.Duration
	DeliveryRetention time.Duration
	// ReservationTTL is how long an endpoint place stays held after it
	// was last reserved.
	ReservationTTL time.Duration
	// RunHoldTTL sets the expires_at of a run item: its last write plus
	// RunHoldTTL.
	RunHoldTTL time.Duration
}

var _ workflow.WaitRegistry = (*Store)(nil)

// New returns a store for table. DynamoDB deletes expired items only when
// TTL is enabled on expires_at, which the deployment does.
func New(client Client, table string) *Store {
	return &Store{
		client:            client,
		table:             table,
		Now:               time.Now,
		WaitRetention:     DefaultWaitRetention,
		DeliveryRetention: DefaultDeliveryRetention,
		ReservationTTL:    DefaultReservationTTL,
		RunHoldTTL:        DefaultRunHoldTTL,
	}
}

// setVersionCondition makes the put in succeed only while the item is as a
// read found it: absent when found is false, and otherwise at version.
// An item without a version, such as one written by hand, is read as
// version 0, so the condition accepts a missing attribute then.
func setVersionCondition(in *dynamodb.PutItemInput, found bool, version int64) {
	if !found {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
		return
	}
	condition := "#version = :version"
	if version == 0 {
		condition = "(attribute_not_exists(#version) OR #version = :version)"
	}
	in.ConditionExpression = aws.String(condition)
	in.ExpressionAttributeNames = map[string]string{"#version": attrVersion}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":version": numberAttr(version)}
}

// isConditionFailed reports whether err is a failed condition expression.
func isConditionFailed(err error) bool {
	var failed *types.ConditionalCheckFailedException
	return errors.As(err, &failed)
}

// classify wraps an SDK error with the operation and table and names it
// as errorName does.
func (s *Store) classify(err error, format string, args ...any) error {
	return s.classifyIn(err, "", format, args...)
}

// classifyIn is classify for a call on the items of one partition key. A
// denied call's message names the table and the partition, because the
// deployment's IAM policies allow each role only some partition keys of
// the table, with the condition key dynamodb:LeadingKeys.
func (s *Store) classifyIn(err error, partition, format string, args ...any) error {
	op := fmt.Sprintf("aws: dynamodb %s in table %s", fmt.Sprintf(format, args...), s.table)
	name := errorName(err)
	if name == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	message := op + ": " + err.Error()
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		message = op + ": " + apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	if name == workflow.ErrPermissionDenied {
		message += "; allow the role this action on table " + s.table
		if partition != "" {
			message += " for the partition key " + partition + " (condition key dynamodb:LeadingKeys)"
		}
	}
	return &namedError{name: name, message: message, cause: err}
}

// errorName returns the ASL error name of a DynamoDB SDK error, as
// awscloud.ErrorName names AWS errors, or "". A missing table is not a
// resource that appears by waiting, unlike the unknown IDs that
// awscloud.ErrorName calls NotReady, so its ResourceNotFoundException
// stays unnamed.
func errorName(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "InternalServerError", "ServiceUnavailable":
			return workflow.ErrTransient
		case "ResourceNotFoundException":
			return ""
		}
	}
	return awscloud.ErrorName(err)
}

// namedError is an SDK failure with the ASL error name that Retry matches
// on. The SDK error stays in its chain.
type namedError struct {
	name    string
	message string
	cause   error
}

func (e *namedError) Error() string     { return e.message }
func (e *namedError) ErrorName() string { return e.name }
func (e *namedError) Unwrap() error     { return e.cause }

func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// queryBodies returns the JSON bodies of every item of partition, decoded
// as T. It reads all pages with a strongly consistent Query, so that a
// record written a moment ago is listed. plural and singular name the
// records in errors, such as "credential expiries" and "credential
// expiry".
func queryBodies[T any](ctx context.Context, s *Store, partition, plural, singular string) ([]T, error) {
	return queryBodiesWithPrefix[T](ctx, s, partition, "", plural, singular)
}

// queryBodiesWithPrefix returns the decoded bodies of the items of
// partition whose sort key starts with prefix, as queryBodies does for all
// items. An empty prefix reads them all.
func queryBodiesWithPrefix[T any](ctx context.Context, s *Store, partition, prefix, plural, singular string) ([]T, error) {
	input := &dynamodb.QueryInput{
		TableName:                 s.tableName(),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(partition)},
		ProjectionExpression:      aws.String(attrBody),
		ConsistentRead:            aws.Bool(true),
	}
	if prefix != "" {
		input.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :prefix)")
		input.ExpressionAttributeValues[":prefix"] = stringAttr(prefix)
	}
	var list []T
	for page := dynamodb.NewQueryPaginator(s.client, input); page.HasMorePages(); {
		out, err := page.NextPage(ctx)
		if err != nil {
			return nil, s.classifyIn(err, partition, "list %s", plural)
		}
		for _, item := range out.Items {
			var record T
			if err := json.Unmarshal([]byte(stringOf(item, attrBody)), &record); err != nil {
				return nil, fmt.Errorf("aws: dynamodb decode %s in table %s: %w", singular, s.table, err)
			}
			list = append(list, record)
		}
	}
	return list, nil
}

// bodyItem returns the item with the keys partition and sortKey and v
// encoded as JSON in its body attribute.
func bodyItem(partition, sortKey string, v any) (map[string]types.AttributeValue, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	item := key(partition, sortKey)
	item[attrBody] = stringAttr(string(body))
	return item, nil
}

// putItem stores item without a condition, replacing the item with the
// same keys.
func (s *Store) putItem(ctx context.Context, item map[string]types.AttributeValue) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tableName(), Item: item})
	return err
}

// deleteItem removes the item with the keys partition and sortKey without
// a condition, which succeeds when the item does not exist.
func (s *Store) deleteItem(ctx context.Context, partition, sortKey string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: s.tableName(),
		Key:       key(partition, sortKey),
	})
	return err
}

func stringAttr(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func numberAttr(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: stringAttr(pk), attrSK: stringAttr(sk)}
}

// stringOf returns the string attribute name of item, or "".
func stringOf(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// tableName returns the table name as the SDK input wants it.
func (s *Store) tableName() *string { return aws.String(s.table) }
