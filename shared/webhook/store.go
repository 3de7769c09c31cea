package webhook

import (
	"context"
	"fmt"
	"time"
)

// Store records deliveries by ticket and the executions that each ticket
// started. sqlitestore.Store implements it for repolink up.
type Store interface {
	// Deliver records a delivery of d.Ticket and calls start when the
	// delivery's request is new to the ticket. That is the case when the
	// ticket has no execution yet, or when the request differs from every
	// request that the ticket started before, such as after the ticket
	// changed. With d.RerunEarlier, a request that the ticket started
	// before, but not in its latest execution, counts as new too. Deliver
	// then records the execution that start returns as the ticket's latest.
	// Otherwise a delivery of a request that the ticket already started
	// calls nothing, so that a late redelivery of an earlier request does
	// not undo a change. The ticket's latest execution is d.Latest when that
	// names an execution that the store has not recorded, because one
	// started outside the webhook, such as by repolink run, followed the
	// recorded ones.
	//
	// A delivery whose d.ReplayKey the store recorded before, and whose
	// record has not expired, calls nothing and returns a Duplicate
	// outcome with Replay set that names the execution of the recorded
	// delivery, whatever the ticket ran since. Deliver records the key
	// with every Started or Duplicate outcome, until d.ReplayUntil, and
	// deletes expired records.
	//
	// With every Started or Duplicate outcome of a delivery with
	// d.SignedAt set, except a replay, Deliver also keeps d.SignedAt and
	// the outcome's execution as the ticket's latest signed delivery,
	// unless the ticket has one signed later. A delivery that has no replay record and whose
	// d.SignedAt is before that time calls nothing and returns a
	// *StaleDeliveryError, so that a delivery rejected while an earlier
	// execution ran cannot be sent again to undo a newer one. A delivery
	// signed in the same second is not older, and one of the request of
	// the ticket's latest execution is a Duplicate, because it undoes
	// nothing.
	//
	// Concurrent deliveries of one ticket call start one at a time, and a
	// delivery that races with a start waits for its outcome. A delivery
	// that waits too long for a start in another process that shares the
	// store returns a *ClaimHeldError.
	//
	// When start fails, Deliver records nothing and returns the error,
	// which keeps its chain, so that the next delivery calls start again.
	// Deliver may also call start again for a ticket whose earlier start
	// was cut off by a crash. So start must return the execution that
	// already runs the same request instead of starting a second one.
	Deliver(ctx context.Context, d Delivery, start func(context.Context) (string, error)) (Outcome, error)
}

// Delivery is one verified delivery of a ticket.
type Delivery struct {
	// Source is "request", "jira" or "servicenow".
	Source string
	// Ticket is the request ID. Repeated deliveries of the same request
	// start one execution. Only RerunEarlier starts a request again after
	// the ticket ran another request.
	Ticket string
	// Event is the source's event name, such as jira:issue_updated.
	Event string
	// DeliveryID is the source's delivery identifier, when it sends one.
	DeliveryID string
	// RequestHash identifies the request that the delivery carries.
	RequestHash string
	ReceivedAt  time.Time
	// ReplayKey identifies a signed request delivery, as the SHA-256 of
	// its source, signed timestamp and body, so that a replay of the same
	// bytes is recognised even after the ticket ran another request. An
	// empty key, as ticket adapters send, records nothing.
	ReplayKey string
	// ReplayUntil is when the record of ReplayKey expires: after the
	// signature stops being valid on every receiver that shares the store.
	ReplayUntil time.Time
	// SignedAt is the signed timestamp of a signed request delivery, in
	// whole seconds. The zero time, as ticket adapters send, skips the
	// check that a delivery is not older than the ticket's latest one.
	SignedAt time.Time
	// RerunEarlier makes a request that an earlier execution of the ticket
	// ran, but not its latest one, start a new execution, so that a caller
	// can go back to an earlier request. POST /v1/requests sets it. Ticket
	// adapters do not, because a ticket system may redeliver an earlier
	// version of the ticket late.
	RerunEarlier bool
	// Latest is the ticket's latest execution as Executions.Latest returned
	// it before the delivery, however that execution started, or "" when
	// the ticket has none. An execution that the store has not recorded
	// replaces the store's latest one, so that a delivery compares its
	// request with the ticket's latest execution, not only with the latest
	// one that a delivery started.
	Latest string
}

// Outcome kinds.
const (
	Started   = "started"
	Duplicate = "duplicate"
)

// Outcome is the result of recording a delivery.
type Outcome struct {
	// Kind is Started, or Duplicate when the ticket already started
	// Execution with the delivery's request.
	Kind      string
	Execution string
	// Latest is the ticket's latest execution when a duplicate repeats an
	// earlier request of the ticket than the latest one, and "" otherwise.
	Latest string
	// Replay is true for a Duplicate whose ReplayKey the store recorded
	// before. Execution then names the execution that the recorded
	// delivery started or that its response named.
	Replay bool
}

// StaleDeliveryError reports a signed delivery that Store.Deliver did not
// act on, because its ticket accepted a delivery signed later.
type StaleDeliveryError struct {
	Ticket   string
	SignedAt time.Time
	// LatestSignedAt is the signed time of the ticket's latest accepted
	// delivery, and Execution the execution that its response named.
	// Execution is "" when that delivery is still being handled.
	LatestSignedAt time.Time
	Execution      string
}

func (e *StaleDeliveryError) Error() string {
	if e.Execution == "" {
		return fmt.Sprintf("this delivery of request %s is signed at %s, before the delivery signed at %s that the service is still handling",
			e.Ticket, e.SignedAt.UTC().Format(time.RFC3339), e.LatestSignedAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("this delivery of request %s is signed at %s, before the delivery signed at %s that the service accepted with execution %s",
		e.Ticket, e.SignedAt.UTC().Format(time.RFC3339), e.LatestSignedAt.UTC().Format(time.RFC3339), e.Execution)
}

// ClaimHeldError reports a delivery that Store.Deliver did not act on,
// because another process that shares the store is starting an execution
// of the ticket and did not settle its claim in time.
type ClaimHeldError struct {
	Ticket string
	// ExpiresAt is when the claim expires, so that a delivery takes it
	// over if its process has died.
	ExpiresAt time.Time
}

func (e *ClaimHeldError) Error() string {
	return fmt.Sprintf("another process is starting an execution of request %s, and its claim of the request expires at %s",
		e.Ticket, e.ExpiresAt.UTC().Format(time.RFC3339))
}
