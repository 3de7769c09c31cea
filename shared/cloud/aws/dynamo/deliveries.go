package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
	// attrRuns maps the request hash of each request that the ticket
	// started to its execution.
	attrRuns = "runs"
)

// Outcome kinds of a delivery.
const (
	// Started means this delivery started an execution for a request that
	// is new to the ticket, or started it again after an earlier start
	// failed.
	Started = "started"
	// Duplicate means the ticket already started an execution with the
	// same request.
	Duplicate = "duplicate"
)

// Delivery is one verified webhook delivery of a ticket.
type Delivery struct {
	// Ticket is the request ID. Each request of a ticket starts at most
	// one execution.
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
	// Latest is the ticket's latest execution when a duplicate repeats an
	// earlier request of the ticket than the latest one, and "" otherwise.
	Latest string
}

// ErrDeliveryRace is returned when other deliveries of the same ticket kept
// replacing its unstarted claim. The sender's redelivery settles it.
var ErrDeliveryRace = errors.New("concurrent deliveries of the ticket with different requests")

// Deliver records a delivery of d.Ticket and starts its execution with start
// when the ticket has not started the delivery's request before: the ticket
// is new, or its request changed. A conditional write claims the ticket, so
// concurrent deliveries record one request. The ticket item keeps the hash
// of every request that the ticket started, so a late redelivery of an
// earlier request is a duplicate and undoes no change.
//
// When start fails, the claim stays without an execution and the error is
// returned. The next delivery of the ticket then calls start again, so start
// must return the running execution when it is called twice for the same
// request, as a Step Functions start with a fixed name does.
//
// start receives the sorted executions that the ticket started before, so
// that it can check whether one still runs and name the new run after the
// highest of them.
func (s *Store) Deliver(ctx context.Context, d Delivery, start func(ctx context.Context, runs []string) (string, error)) (Outcome, error) {
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
		if !claimed {
			if out, ok := stored.duplicate(d.RequestHash); ok {
				return out, nil
			}
		}
		if !claimed && stored.requestHash != d.RequestHash {
			// The ticket started another request, or an earlier delivery
			// claimed it for another request and never started it, so
			// this delivery's request replaces the claim.
			replaced, err := s.replaceClaim(ctx, d, stored)
			if err != nil {
				return Outcome{}, err
			}
			if !replaced {
				continue
			}
		}

		execution, err := start(ctx, stored.executions())
		if err != nil {
			return Outcome{}, err
		}
		if err := s.recordExecution(ctx, d, stored.withRun(d.RequestHash, execution)); err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: Started, Execution: execution}, nil
	}
	return Outcome{}, fmt.Errorf("aws: dynamodb record delivery of ticket %s: %w", d.Ticket, ErrDeliveryRace)
}

// ticketRecord is the stored state of a ticket.
type ticketRecord struct {
	// requestHash and execution are the latest request and its execution,
	// which is "" while a claim has not started it.
	requestHash string
	execution   string
	// runs maps the hash of every request that the ticket started to its
	// execution. An item written before runs existed has none, and its
	// latest execution is its only run.
	runs map[string]string
}

// allRuns returns the ticket's runs with the latest started one.
func (t ticketRecord) allRuns() map[string]string {
	runs := maps.Clone(t.runs)
	if runs == nil {
		runs = map[string]string{}
	}
	if t.execution != "" {
		runs[t.requestHash] = t.execution
	}
	return runs
}

// executions returns the sorted, distinct executions of the ticket's runs.
func (t ticketRecord) executions() []string {
	var names []string
	for _, execution := range t.allRuns() {
		names = append(names, execution)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// withRun returns the ticket's runs with execution recorded for hash.
func (t ticketRecord) withRun(hash, execution string) map[string]string {
	runs := t.allRuns()
	runs[hash] = execution
	return runs
}

// duplicate returns the outcome of a delivery of a request that the ticket
// already started, and false for a request that it did not start.
func (t ticketRecord) duplicate(hash string) (Outcome, bool) {
	execution, ok := t.allRuns()[hash]
	if !ok {
		return Outcome{}, false
	}
	out := Outcome{Kind: Duplicate, Execution: execution}
	if t.execution != "" && t.execution != execution {
		out.Latest = t.execution
	}
	return out, true
}

func ticketPartition(ticket string) string { return "ticket#" + hashKey(ticket) }

// ticketItem returns the ticket item of a delivery, with execution and
// runs when they are not empty.
func (s *Store) ticketItem(d Delivery, execution string, runs map[string]string) map[string]types.AttributeValue {
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
	if len(runs) > 0 {
		values := make(map[string]types.AttributeValue, len(runs))
		for hash, run := range runs {
			values[hash] = stringAttr(run)
		}
		item[attrRuns] = &types.AttributeValueMemberM{Value: values}
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
		Item:                s.ticketItem(d, "", nil),
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
		runs:        runsOf(out.Item),
	}, false, nil
}

// runsOf returns the runs attribute of a ticket item, or nil.
func runsOf(item map[string]types.AttributeValue) map[string]string {
	m, ok := item[attrRuns].(*types.AttributeValueMemberM)
	if !ok {
		return nil
	}
	runs := make(map[string]string, len(m.Value))
	for hash, v := range m.Value {
		if run, ok := v.(*types.AttributeValueMemberS); ok {
			runs[hash] = run.Value
		}
	}
	return runs
}

// replaceClaim overwrites the stored item with an unstarted claim of the
// delivery's request, keeping the ticket's runs. It returns false when the
// item changed since it was read.
func (s *Store) replaceClaim(ctx context.Context, d Delivery, stored ticketRecord) (bool, error) {
	in := &dynamodb.PutItemInput{
		TableName:                 s.tableName(),
		Item:                      s.ticketItem(d, "", stored.allRuns()),
		ConditionExpression:       aws.String("attribute_not_exists(#execution) AND #hash = :stored"),
		ExpressionAttributeNames:  map[string]string{"#execution": attrExecution, "#hash": attrRequestHash},
		ExpressionAttributeValues: map[string]types.AttributeValue{":stored": stringAttr(stored.requestHash)},
	}
	if stored.execution != "" {
		in.ConditionExpression = aws.String("#execution = :execution AND #hash = :stored")
		in.ExpressionAttributeValues[":execution"] = stringAttr(stored.execution)
	}
	_, err := s.client.PutItem(ctx, in)
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "record delivery of ticket %s", d.Ticket)
	}
	return true, nil
}

// recordExecution stores the started execution on the ticket item as its
// latest, with runs.
func (s *Store) recordExecution(ctx context.Context, d Delivery, runs map[string]string) error {
	execution := runs[d.RequestHash]
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tableName(),
		Item:      s.ticketItem(d, execution, runs),
	})
	if err != nil {
		return s.classify(err, "record execution %s of ticket %s", execution, d.Ticket)
	}
	return nil
}
