package gcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	firestore "google.golang.org/api/firestore/v1"

	"github.com/repolink/repolink/shared/webhook"
)

// Defaults of DeliveriesOptions.
const (
	// DefaultDeliveryClaimTimeout is well above the webhook handler's 30 s
	// timeout for one start, so that only the claim of an instance that
	// stopped mid-start expires.
	DefaultDeliveryClaimTimeout = 2 * time.Minute
	// DefaultDeliveryPollInterval is how often a delivery reads a ticket
	// whose start another delivery has claimed.
	DefaultDeliveryPollInterval = 250 * time.Millisecond
)

// settleTimeout bounds recording a started execution, or releasing the
// claim of a failed start, after the caller's context has ended.
const settleTimeout = 10 * time.Second

const (
	deliveriesParent  = "webhook-deliveries"
	ticketsCollection = "tickets"
	fieldTicket       = "ticket"
)

// DeliveriesOptions configures Deliveries. The zero value uses the
// defaults.
type DeliveriesOptions struct {
	// ClaimTimeout is how long a claim blocks other deliveries of its
	// ticket. A claim older than this belongs to an instance that stopped
	// mid-start, so the next delivery takes it over and calls start again.
	ClaimTimeout time.Duration
	// PollInterval is how often a waiting delivery reads the ticket again.
	PollInterval time.Duration
	// Now is the clock of the claims. Nil means time.Now.
	Now func() time.Time
}

// Deliveries is the webhook.Store on Firestore. Each ticket is the
// document
//
//	<collection>/webhook-deliveries/tickets/<hex SHA-256 of the ticket>
//
// under the waits collection, with the fields ticket and body, the
// ticketRecord as JSON. A delivery claims the ticket with a conditional
// write before it calls start, so deliveries of one ticket on any instance
// call start one at a time. Deliveries is safe for concurrent use.
type Deliveries struct {
	subcollections
	opts DeliveriesOptions
}

var _ webhook.Store = (*Deliveries)(nil)

// ticketRecord is the body of a ticket's document. It contains request
// hashes and execution IDs, never a request or a credential.
type ticketRecord struct {
	Ticket string `json:"ticket"`
	// Runs are the executions that the ticket started, one per request
	// hash, in the order they started.
	Runs []ticketRun `json:"runs,omitempty"`
	// Latest is the execution that the ticket started last.
	Latest string `json:"latest,omitempty"`
	// Claim is set while a delivery is starting an execution.
	Claim *deliveryClaim `json:"claim,omitempty"`
	// Replays are the replay keys of the ticket's recorded deliveries.
	// Each write that records a delivery drops the expired ones, and a
	// lookup skips them. Other writes, such as a claim, keep them.
	Replays []replayRecord `json:"replays,omitempty"`
	// Signed is the ticket's latest accepted delivery that has a signed
	// time, and nil before the first one.
	Signed *signedRecord `json:"signed,omitempty"`
}

// signedRecord is the webhook.Delivery.SignedAt of a recorded delivery,
// with the execution that the delivery started or that its response named.
type signedRecord struct {
	At        time.Time `json:"at"`
	Execution string    `json:"execution"`
}

// replayRecord is the webhook.Delivery.ReplayKey of a recorded delivery,
// with the execution that the delivery started or that its response named.
type replayRecord struct {
	Key       string    `json:"key"`
	Execution string    `json:"execution"`
	Until     time.Time `json:"until"`
}

type ticketRun struct {
	RequestHash string    `json:"request_hash"`
	Execution   string    `json:"execution"`
	Source      string    `json:"source,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
}

type deliveryClaim struct {
	// ID identifies the claiming delivery, so that a delivery that took
	// over an expired claim keeps it.
	ID          string    `json:"id"`
	RequestHash string    `json:"request_hash"`
	Until       time.Time `json:"until"`
	// SignedAt is the claiming delivery's webhook.Delivery.SignedAt, or
	// zero for an unsigned delivery.
	SignedAt time.Time `json:"signed_at,omitzero"`
}

// NewDeliveries builds the Firestore client from opts, as NewWaits does,
// for the ticket documents under the waits collection of cfg.
func NewDeliveries(ctx context.Context, opts Options, cfg WaitsConfig, o DeliveriesOptions) (*Deliveries, error) {
	sub, err := openSubcollections(ctx, opts, cfg, deliveriesParent)
	if err != nil {
		return nil, err
	}
	if o.ClaimTimeout <= 0 {
		o.ClaimTimeout = DefaultDeliveryClaimTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultDeliveryPollInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Deliveries{subcollections: sub, opts: o}, nil
}

// TicketName returns the resource name of the document of ticket.
func (s *Deliveries) TicketName(ticket string) string {
	return s.parent + "/" + ticketsCollection + "/" + documentID(ticket)
}

// Deliver records d and calls start when the ticket has not started d's
// request, as webhook.Store describes. While another delivery of the
// ticket holds an unexpired claim, Deliver reads the ticket again every
// PollInterval until that claim is released or ctx ends.
func (s *Deliveries) Deliver(ctx context.Context, d webhook.Delivery, start func(context.Context) (string, error)) (webhook.Outcome, error) {
	claimID, err := newClaimID()
	if err != nil {
		return webhook.Outcome{}, err
	}
	for {
		outcome, claimed, err := s.claim(ctx, d, claimID)
		if err != nil || outcome != nil {
			return deref(outcome), err
		}
		if claimed {
			break
		}
		if err := s.waitForClaim(ctx, d.Ticket); err != nil {
			return webhook.Outcome{}, err
		}
	}

	execution, startErr := start(ctx)
	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if startErr != nil {
		if err := s.release(settle, d.Ticket, claimID); err != nil {
			return webhook.Outcome{}, fmt.Errorf("%w, and releasing the claim failed: %w", startErr, err)
		}
		return webhook.Outcome{}, startErr
	}
	if err := s.record(settle, d, claimID, execution); err != nil {
		return webhook.Outcome{}, fmt.Errorf("execution %s started, but recording it failed: %w", execution, err)
	}
	return webhook.Outcome{Kind: webhook.Started, Execution: execution}, nil
}

func deref(o *webhook.Outcome) webhook.Outcome {
	if o == nil {
		return webhook.Outcome{}
	}
	return *o
}

// claim reads the ticket and returns the outcome of a duplicate delivery.
// Otherwise it claims the ticket for d and returns claimed, unless another
// delivery holds an unexpired claim, in which case it returns neither.
func (s *Deliveries) claim(ctx context.Context, d webhook.Delivery, claimID string) (*webhook.Outcome, bool, error) {
	var outcome *webhook.Outcome
	claimed := false
	err := s.update(ctx, ticketsCollection, d.Ticket, "claim ticket "+d.Ticket, func(doc *firestore.Document) (*firestore.Document, bool, error) {
		outcome, claimed = nil, false
		rec, err := decodeTicket(doc, d.Ticket)
		if err != nil {
			return nil, false, err
		}
		now := s.opts.Now()
		if out, ok := replayOf(rec, d, now); ok {
			outcome = &out
			return nil, false, nil
		}
		if err := checkSigned(rec, d); err != nil {
			return nil, false, err
		}
		if out, ok := duplicateOf(rec, d); ok {
			outcome = &out
			if d.ReplayKey == "" && d.SignedAt.IsZero() {
				return nil, false, nil
			}
			addReplay(&rec, d, out.Execution, now)
			setSigned(&rec, d, out.Execution)
			next, err := encodeTicket(rec)
			return next, err == nil, err
		}
		if rec.Claim != nil && now.Before(rec.Claim.Until) {
			return nil, false, nil
		}
		if err := checkClaimSigned(rec.Claim, d); err != nil {
			return nil, false, err
		}
		rec.Claim = &deliveryClaim{ID: claimID, RequestHash: d.RequestHash, Until: now.Add(s.opts.ClaimTimeout),
			SignedAt: d.SignedAt.UTC()}
		next, err := encodeTicket(rec)
		claimed = err == nil
		return next, claimed, err
	})
	return outcome, claimed, err
}

// duplicateOf returns the outcome of d when its ticket has started d's
// request and d does not start it again.
func duplicateOf(rec ticketRecord, d webhook.Delivery) (webhook.Outcome, bool) {
	i := slices.IndexFunc(rec.Runs, func(r ticketRun) bool { return r.RequestHash == d.RequestHash })
	if i < 0 {
		return webhook.Outcome{}, false
	}
	execution := rec.Runs[i].Execution
	latest := rec.latestExecution(d.Latest)
	if execution == latest {
		return webhook.Outcome{Kind: webhook.Duplicate, Execution: execution}, true
	}
	if d.RerunEarlier {
		return webhook.Outcome{}, false
	}
	return webhook.Outcome{Kind: webhook.Duplicate, Execution: execution, Latest: latest}, true
}

// latestExecution returns the ticket's latest execution: found, the latest
// one that the workflow lists, when the record has no run of it, such as
// one that the Workflows API started, and rec.Latest otherwise. A recorded
// run is not taken from found, because found was read before the
// transaction and a delivery may have recorded a later one since.
func (rec ticketRecord) latestExecution(found string) string {
	if found == "" || slices.ContainsFunc(rec.Runs, func(r ticketRun) bool { return r.Execution == found }) {
		return rec.Latest
	}
	return found
}

// replayOf returns the outcome of d when the ticket has an unexpired
// record of its ReplayKey.
func replayOf(rec ticketRecord, d webhook.Delivery, now time.Time) (webhook.Outcome, bool) {
	if d.ReplayKey == "" {
		return webhook.Outcome{}, false
	}
	i := slices.IndexFunc(rec.Replays, func(r replayRecord) bool { return r.Key == d.ReplayKey && now.Before(r.Until) })
	if i < 0 {
		return webhook.Outcome{}, false
	}
	return webhook.Outcome{Kind: webhook.Duplicate, Execution: rec.Replays[i].Execution, Replay: true}, true
}

// addReplay drops the expired replay records of rec and records d's
// ReplayKey with execution.
func addReplay(rec *ticketRecord, d webhook.Delivery, execution string, now time.Time) {
	rec.Replays = slices.DeleteFunc(rec.Replays, func(r replayRecord) bool { return !now.Before(r.Until) })
	if d.ReplayKey == "" {
		return
	}
	rec.Replays = append(rec.Replays, replayRecord{Key: d.ReplayKey, Execution: execution, Until: d.ReplayUntil})
}

// checkSigned returns a *webhook.StaleDeliveryError when d is signed before
// the latest signed delivery that rec accepted.
func checkSigned(rec ticketRecord, d webhook.Delivery) error {
	if d.SignedAt.IsZero() || rec.Signed == nil || d.SignedAt.Unix() >= rec.Signed.At.Unix() {
		return nil
	}
	return &webhook.StaleDeliveryError{Ticket: d.Ticket, SignedAt: d.SignedAt, LatestSignedAt: rec.Signed.At,
		Execution: rec.Signed.Execution}
}

// checkClaimSigned returns a *webhook.StaleDeliveryError without an
// execution when d would take over the expired claim of a delivery signed
// after it. That delivery's start may still be running, and a start of d
// after it would undo the newer request.
func checkClaimSigned(claim *deliveryClaim, d webhook.Delivery) error {
	if claim == nil || d.SignedAt.IsZero() || d.SignedAt.Unix() >= claim.SignedAt.Unix() {
		return nil
	}
	return &webhook.StaleDeliveryError{Ticket: d.Ticket, SignedAt: d.SignedAt, LatestSignedAt: claim.SignedAt}
}

// setSigned keeps d.SignedAt and execution as rec's latest signed delivery,
// unless rec has one signed later. Of two deliveries signed in the same
// second, the one recorded last is kept.
func setSigned(rec *ticketRecord, d webhook.Delivery, execution string) {
	if d.SignedAt.IsZero() || (rec.Signed != nil && d.SignedAt.Unix() < rec.Signed.At.Unix()) {
		return
	}
	rec.Signed = &signedRecord{At: d.SignedAt.UTC(), Execution: execution}
}

// waitForClaim pauses for one PollInterval, or returns an error naming the
// ticket when ctx ends first.
func (s *Deliveries) waitForClaim(ctx context.Context, ticket string) error {
	timer := time.NewTimer(s.opts.PollInterval)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gcp: firestore wait for another delivery of ticket %s to start its execution: %w", ticket, ctx.Err())
	}
}

// record stores execution as the ticket's run of d's request and its
// latest execution, and removes the claim when it is still claimID's.
func (s *Deliveries) record(ctx context.Context, d webhook.Delivery, claimID, execution string) error {
	return s.update(ctx, ticketsCollection, d.Ticket, "record execution of ticket "+d.Ticket, func(doc *firestore.Document) (*firestore.Document, bool, error) {
		rec, err := decodeTicket(doc, d.Ticket)
		if err != nil {
			return nil, false, err
		}
		rec.Runs = slices.DeleteFunc(rec.Runs, func(r ticketRun) bool { return r.RequestHash == d.RequestHash })
		rec.Runs = append(rec.Runs, ticketRun{RequestHash: d.RequestHash, Execution: execution, Source: d.Source, ReceivedAt: d.ReceivedAt})
		rec.Latest = execution
		addReplay(&rec, d, execution, s.opts.Now())
		setSigned(&rec, d, execution)
		if rec.Claim != nil && rec.Claim.ID == claimID {
			rec.Claim = nil
		}
		next, err := encodeTicket(rec)
		return next, err == nil, err
	})
}

// release removes claimID's claim after a failed start, so that the next
// delivery calls start again at once.
func (s *Deliveries) release(ctx context.Context, ticket, claimID string) error {
	return s.update(ctx, ticketsCollection, ticket, "release claim of ticket "+ticket, func(doc *firestore.Document) (*firestore.Document, bool, error) {
		rec, err := decodeTicket(doc, ticket)
		if err != nil || rec.Claim == nil || rec.Claim.ID != claimID {
			return nil, false, err
		}
		rec.Claim = nil
		next, err := encodeTicket(rec)
		return next, err == nil, err
	})
}

func decodeTicket(doc *firestore.Document, ticket string) (ticketRecord, error) {
	if doc == nil {
		return ticketRecord{Ticket: ticket}, nil
	}
	var rec ticketRecord
	if err := decodeBody(doc, &rec, "webhook ticket"); err != nil {
		return rec, err
	}
	return rec, nil
}

func encodeTicket(rec ticketRecord) (*firestore.Document, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode ticket %s: %w", rec.Ticket, err)
	}
	return &firestore.Document{Fields: map[string]firestore.Value{
		fieldTicket: stringValue(rec.Ticket),
		fieldBody:   stringValue(string(body)),
	}}, nil
}

func newClaimID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("create delivery claim ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
