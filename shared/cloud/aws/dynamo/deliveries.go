package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// deliverySortKey is the sort key of every delivery item.
const deliverySortKey = "delivery"

// Attributes of a delivery item besides the keys.
const (
	attrDeliveryKey  = "delivery_key"
	attrExecutionARN = "execution_arn"
	attrReceivedAt   = "received_at"
)

var errEmptyDeliveryKey = errors.New("aws: dynamodb delivery key is empty")

// Delivery is one accepted webhook delivery.
type Delivery struct {
	// Key identifies the delivery across redeliveries, such as the ticket
	// system's delivery ID or a hash of the signed body.
	Key string
	// Execution is the name of the execution that the delivery starts.
	Execution string
	// ExecutionARN is set once the execution has started.
	ExecutionARN string
	ReceivedAt   time.Time
}

func deliveryPartition(key string) string { return "delivery#" + hashKey(key) }

func (s *Store) deliveryItem(d Delivery) map[string]types.AttributeValue {
	item := key(deliveryPartition(d.Key), deliverySortKey)
	item[attrDeliveryKey] = stringAttr(d.Key)
	item[attrExecution] = stringAttr(d.Execution)
	if d.ExecutionARN != "" {
		item[attrExecutionARN] = stringAttr(d.ExecutionARN)
	}
	item[attrReceivedAt] = numberAttr(d.ReceivedAt.Unix())
	item[attrExpiresAt] = numberAttr(d.ReceivedAt.Add(s.DeliveryRetention).Unix())
	return item
}

// ClaimDelivery records d with a conditional write unless a delivery with
// d.Key is already stored. It returns claimed true for a new delivery, and
// otherwise the stored one, whose ExecutionARN is empty while its execution
// has not started or its start failed. A zero d.ReceivedAt means now.
func (s *Store) ClaimDelivery(ctx context.Context, d Delivery) (stored Delivery, claimed bool, err error) {
	if d.Key == "" {
		return Delivery{}, false, errEmptyDeliveryKey
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.Now()
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.tableName(),
		Item:                s.deliveryItem(d),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err == nil {
		return d, true, nil
	}
	if !isConditionFailed(err) {
		return Delivery{}, false, s.classify(err, "record delivery for %s", d.Execution)
	}

	stored, err = s.delivery(ctx, d.Key)
	if err != nil {
		return Delivery{}, false, err
	}
	return stored, false, nil
}

// MarkStarted stores the execution ARN of a claimed delivery, replacing the
// item that ClaimDelivery wrote. It keeps d.ReceivedAt, so the item expires
// as first scheduled.
func (s *Store) MarkStarted(ctx context.Context, d Delivery) error {
	if d.Key == "" {
		return errEmptyDeliveryKey
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tableName(),
		Item:      s.deliveryItem(d),
	})
	if err != nil {
		return s.classify(err, "record start of %s", d.Execution)
	}
	return nil
}

// delivery reads the stored delivery of key with a strongly consistent read.
func (s *Store) delivery(ctx context.Context, deliveryKey string) (Delivery, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.tableName(),
		Key:            key(deliveryPartition(deliveryKey), deliverySortKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Delivery{}, s.classify(err, "read delivery")
	}
	if out.Item == nil {
		// TTL removed the item between the write and this read.
		return Delivery{Key: deliveryKey}, nil
	}
	d := Delivery{
		Key:          stringOf(out.Item, attrDeliveryKey),
		Execution:    stringOf(out.Item, attrExecution),
		ExecutionARN: stringOf(out.Item, attrExecutionARN),
	}
	if n, ok := out.Item[attrReceivedAt].(*types.AttributeValueMemberN); ok {
		if sec, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			d.ReceivedAt = time.Unix(sec, 0).UTC()
		}
	}
	return d, nil
}
