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
	// Ticket is the request ID. Repeated deliveries of the same request
	// start one execution. Only RerunEarlier starts a request again after
	// the ticket ran another request.
	Ticket string
	// RequestHash identifies the request that the delivery carries.
	RequestHash string
	// Source is the sender, such as "request" or "jira".
	Source string
	// DeliveryID is the sender's delivery identifier, when it sends one.
	DeliveryID string
	// ReceivedAt is zero for now.
	ReceivedAt time.Time
	// RerunEarlier makes a request that an earlier execution of the ticket
	// ran, but not its latest one, start a new execution, so that a caller
	// can go back to an earlier request. Without it such a delivery is a
	// duplicate, as a late redelivery from a ticket system should be.
	RerunEarlier bool
	// Latest is the ticket's latest execution as the caller found it,
	// however it started, or "" when the caller did not look. An execution
	// that the ticket's item does not list, such as one that the Step
	// Functions API started, replaces the item's latest one, so that the
	// request of the item's latest execution counts as an earlier one.
	Latest string
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
// earlier request is a duplicate and undoes no change, unless
// d.RerunEarlier is set.
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
			out, ok := stored.duplicate(d.RequestHash, d.Latest)
			if ok && !(d.RerunEarlier && out.Latest != "") {
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
		if err := s.recordExecution(ctx, d, execution); err != nil {
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

// duplicate returns the outcome of a delivery of a request that the ticket
// already started, and false for a request that it did not start. found is
// Delivery.Latest, which is the ticket's latest execution when the item
// does not list it.
func (t ticketRecord) duplicate(hash, found string) (Outcome, bool) {
	runs := t.allRuns()
	execution, ok := runs[hash]
	if !ok {
		return Outcome{}, false
	}
	latest := t.execution
	if found != "" && !slices.Contains(slices.Collect(maps.Values(runs)), found) {
		latest = found
	}
	out := Outcome{Kind: Duplicate, Execution: execution}
	if latest != "" && latest != execution {
		out.Latest = latest
	}
	return out, true
}

func ticketPartition(ticket string) string { return "ticket#" + hashKey(ticket) }

// claimItem returns the ticket item of a delivery that claims a new
// ticket: no execution and no runs yet.
func (s *Store) claimItem(d Delivery) map[string]types.AttributeValue {
	item := key(ticketPartition(d.Ticket), ticketSortKey)
	item[attrTicket] = stringAttr(d.Ticket)
	item[attrRequestHash] = stringAttr(d.RequestHash)
	item[attrSource] = stringAttr(d.Source)
	if d.DeliveryID != "" {
		item[attrDeliveryID] = stringAttr(d.DeliveryID)
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
		Item:                s.claimItem(d),
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

// replaceClaim makes the stored item an unstarted claim of the
// delivery's request. It returns false when the item's latest request or
// execution changed since it was read.
//
// The write is an UpdateItem that leaves the runs map alone, so a run that
// another delivery recorded since the read stays. An item written before
// items kept their runs has its latest execution only in the execution
// attribute, so replaceClaim first copies it into runs.
func (s *Store) replaceClaim(ctx context.Context, d Delivery, stored ticketRecord) (bool, error) {
	if stored.execution != "" && stored.runs[stored.requestHash] != stored.execution {
		if err := s.addRun(ctx, d.Ticket, stored.requestHash, stored.execution); err != nil {
			return false, err
		}
	}

	names := map[string]string{"#execution": attrExecution, "#hash": attrRequestHash}
	values := map[string]types.AttributeValue{
		":stored": stringAttr(stored.requestHash),
		":hash":   stringAttr(d.RequestHash),
	}
	update := "SET #hash = :hash, " + s.setDelivery(d, names, values) + " REMOVE #execution"
	if d.DeliveryID == "" {
		update += ", #delivery"
	}
	condition := "attribute_not_exists(#execution) AND #hash = :stored"
	if stored.execution != "" {
		condition = "#execution = :execution AND #hash = :stored"
		values[":execution"] = stringAttr(stored.execution)
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.tableName(),
		Key:                       key(ticketPartition(d.Ticket), ticketSortKey),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "record delivery of ticket %s", d.Ticket)
	}
	return true, nil
}

// setDelivery returns the SET clauses, without the SET keyword, that store
// the delivery's source, delivery ID when it has one, received time and
// expiry, and adds their names and values. A caller whose delivery has no
// ID removes the stored one with the #delivery name.
func (s *Store) setDelivery(d Delivery, names map[string]string, values map[string]types.AttributeValue) string {
	names["#source"] = attrSource
	names["#delivery"] = attrDeliveryID
	names["#received"] = attrReceivedAt
	names["#expires"] = attrExpiresAt
	values[":source"] = stringAttr(d.Source)
	values[":received"] = numberAttr(d.ReceivedAt.Unix())
	values[":expires"] = numberAttr(d.ReceivedAt.Add(s.DeliveryRetention).Unix())
	clauses := "#source = :source, #received = :received, #expires = :expires"
	if d.DeliveryID != "" {
		values[":delivery"] = stringAttr(d.DeliveryID)
		clauses += ", #delivery = :delivery"
	}
	return clauses
}

// recordExecution adds the started execution to the ticket's runs. Then,
// if the claim is still for the delivery's request, it stores the execution
// as the ticket's latest. When another delivery replaced the claim
// meanwhile, that delivery's request is the latest and only the run is
// added. Neither write replaces the item, so runs and claims that other
// deliveries wrote since this delivery read the item stay.
func (s *Store) recordExecution(ctx context.Context, d Delivery, execution string) error {
	if err := s.addRun(ctx, d.Ticket, d.RequestHash, execution); err != nil {
		return err
	}

	names := map[string]string{"#execution": attrExecution, "#hash": attrRequestHash}
	values := map[string]types.AttributeValue{
		":execution": stringAttr(execution),
		":hash":      stringAttr(d.RequestHash),
	}
	update := "SET #execution = :execution, " + s.setDelivery(d, names, values)
	if d.DeliveryID == "" {
		update += " REMOVE #delivery"
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.tableName(),
		Key:                       key(ticketPartition(d.Ticket), ticketSortKey),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#hash = :hash"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return nil
	}
	if err != nil {
		return s.classify(err, "record execution %s of ticket %s", execution, d.Ticket)
	}
	return nil
}

// addRun sets the execution of one request in the ticket's runs map and
// changes no other entry. When the item has no map yet, as a new claim or
// an item written before items kept their runs, addRun creates the map with
// that one entry. A second round covers another delivery that created the
// map between the two writes.
func (s *Store) addRun(ctx context.Context, ticket, hash, execution string) error {
	itemKey := key(ticketPartition(ticket), ticketSortKey)
	names := map[string]string{"#runs": attrRuns}
	for range 2 {
		_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 s.tableName(),
			Key:                       itemKey,
			UpdateExpression:          aws.String("SET #runs.#hash = :execution"),
			ConditionExpression:       aws.String("attribute_exists(#runs)"),
			ExpressionAttributeNames:  map[string]string{"#runs": attrRuns, "#hash": hash},
			ExpressionAttributeValues: map[string]types.AttributeValue{":execution": stringAttr(execution)},
		})
		if err == nil {
			return nil
		}
		if !isConditionFailed(err) {
			return s.classify(err, "record execution %s of ticket %s", execution, ticket)
		}

		runs := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{hash: stringAttr(execution)}}
		_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 s.tableName(),
			Key:                       itemKey,
			UpdateExpression:          aws.String("SET #runs = :runs"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(#runs)"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: map[string]types.AttributeValue{":runs": runs},
		})
		if err == nil {
			return nil
		}
		if !isConditionFailed(err) {
			return s.classify(err, "record execution %s of ticket %s", execution, ticket)
		}
	}
	return fmt.Errorf("aws: dynamodb record execution %s of ticket %s in table %s: the ticket item is missing, so it expired or was deleted after the claim", execution, ticket, s.table)
}
