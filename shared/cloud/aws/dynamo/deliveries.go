package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ticketSortKey is the sort key of every ticket item.
const ticketSortKey = "ticket"

// Attributes of a ticket item besides the keys.
const (
	attrTicket      = "ticket"
	attrRequestHash = "request_hash"
	attrSource      = "source"
	attrDeliveryID  = "delivery_id"
	attrReceivedAt  = "received_at"
)

// Outcome kinds of a delivery.
const (
	// Started means this delivery started the ticket's execution, or
	// started it again after an earlier start failed.
	Started = "started"
	// Duplicate means the ticket already started an execution with the
	// same request.
	Duplicate = "duplicate"
	// Conflict means the ticket already started an execution with a
	// different request.
	Conflict = "conflict"
)

// Delivery is one verified webhook delivery of a ticket.
type Delivery struct {
	// Ticket is the request ID. One ticket starts at most one execution.
	Ticket string
	// RequestHash identifies the request that the delivery carries.
	RequestHash string
	// Source is the sender, such as "request" or "jira".
	Source string
	// DeliveryID is the sender's delivery identifier, when it sends one.
	DeliveryID string
	// ReceivedAt is zero for now.
	ReceivedAt time.Time
}

// Outcome is the result of a delivery: whether it started an execution.
type Outcome struct {
	Kind      string
	Execution string
}

// ErrDeliveryRace is returned when other deliveries of the same ticket kept
// replacing its unstarted claim. The sender's redelivery settles it.
var ErrDeliveryRace = errors.New("concurrent deliveries of the ticket with different requests")

// Deliver records a delivery of d.Ticket and starts its execution with start
// unless the ticket already has one. A conditional write claims the ticket,
// so concurrent deliveries record one request.
//
// When start fails, the claim stays without an execution and the error is
// returned. The next delivery of the ticket then calls start again, so start
// must return the running execution when it is called twice for the same
// request, as a Step Functions start with a fixed name does.
func (s *Store) Deliver(ctx context.Context, d Delivery, start func(context.Context) (string, error)) (Outcome, error) {
	if d.Ticket == "" || d.RequestHash == "" {
		return Outcome{}, errors.New("aws: dynamodb record delivery: ticket and request hash are required")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.Now()
	}

	// Two rounds cover a claim that another delivery replaced between the
	// read and the write. More means a storm of conflicting deliveries.
	for range 2 {
		stored, claimed, err := s.claim(ctx, d)
		if err != nil {
			return Outcome{}, err
		}
		if !claimed && stored.execution != "" {
			kind := Duplicate
			if stored.requestHash != d.RequestHash {
				kind = Conflict
			}
			return Outcome{Kind: kind, Execution: stored.execution}, nil
		}
		if !claimed && stored.requestHash != d.RequestHash {
			// An earlier delivery claimed the ticket but never started
			// its execution, so this delivery's request replaces it.
			replaced, err := s.replaceClaim(ctx, d, stored.requestHash)
			if err != nil {
				return Outcome{}, err
			}
			if !replaced {
				continue
			}
		}

		execution, err := start(ctx)
		if err != nil {
			return Outcome{}, err
		}
		if err := s.recordExecution(ctx, d, execution); err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: Started, Execution: execution}, nil
	}
	return Outcome{}, fmt.Errorf("aws: dynamodb record delivery of ticket %s: %w", d.Ticket, ErrDeliveryRace)
}

// ticketRecord is the stored state of a ticket.
type ticketRecord struct {
	requestHash string
	execution   string
}

func ticketPartition(ticket string) string { return "ticket#" + hashKey(ticket) }

func (s *Store) ticketItem(d Delivery, execution string) map[string]types.AttributeValue {
	item := key(ticketPartition(d.Ticket), ticketSortKey)
	item[attrTicket] = stringAttr(d.Ticket)
	item[attrRequestHash] = stringAttr(d.RequestHash)
	item[attrSource] = stringAttr(d.Source)
	if d.DeliveryID != "" {
		item[attrDeliveryID] = stringAttr(d.DeliveryID)
	}
	if execution != "" {
		item[attrExecution] = stringAttr(execution)
	}
	item[attrReceivedAt] = numberAttr(d.ReceivedAt.Unix())
	item[attrExpiresAt] = numberAttr(d.ReceivedAt.Add(s.DeliveryRetention).Unix())
	return item
}

// claim writes the ticket item unless one exists, and otherwise returns the
// stored one.
func (s *Store) claim(ctx context.Context, d Delivery) (ticketRecord, bool, error) {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.tableName(),
		Item:                s.ticketItem(d, ""),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err == nil {
		return ticketRecord{requestHash: d.RequestHash}, true, nil
	}
	if !isConditionFailed(err) {
		return ticketRecord{}, false, s.classify(err, "record delivery of ticket %s", d.Ticket)
	}

	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.tableName(),
		Key:            key(ticketPartition(d.Ticket), ticketSortKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return ticketRecord{}, false, s.classify(err, "read ticket %s", d.Ticket)
	}
	return ticketRecord{
		requestHash: stringOf(out.Item, attrRequestHash),
		execution:   stringOf(out.Item, attrExecution),
	}, false, nil
}

// replaceClaim overwrites an unstarted claim of another request. It returns
// false when the claim changed since it was read.
func (s *Store) replaceClaim(ctx context.Context, d Delivery, storedHash string) (bool, error) {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 s.tableName(),
		Item:                      s.ticketItem(d, ""),
		ConditionExpression:       aws.String("attribute_not_exists(#execution) AND #hash = :stored"),
		ExpressionAttributeNames:  map[string]string{"#execution": attrExecution, "#hash": attrRequestHash},
		ExpressionAttributeValues: map[string]types.AttributeValue{":stored": stringAttr(storedHash)},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "record delivery of ticket %s", d.Ticket)
	}
	return true, nil
}

// recordExecution stores the started execution on the ticket item.
func (s *Store) recordExecution(ctx context.Context, d Delivery, execution string) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tableName(),
		Item:      s.ticketItem(d, execution),
	})
	if err != nil {
		return s.classify(err, "record execution %s of ticket %s", execution, d.Ticket)
	}
	return nil
}
