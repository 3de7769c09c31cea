package webhook

import (
	"context"
	"time"
)

// Store records deliveries by ticket, so that one ticket starts at most one
// execution. sqlitestore.Store implements it for repolink up.
type Store interface {
	// Deliver records a delivery of d.Ticket. When the ticket has no
	// execution yet, Deliver calls start and records the execution that
	// start returns. Concurrent deliveries of one ticket call start once,
	// because a delivery that races with a start waits for its outcome.
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
	// Ticket is the request ID; one ticket starts at most one execution.
	Ticket string
	// Event is the source's event name, such as jira:issue_updated.
	Event string
	// DeliveryID is the source's delivery identifier, when it sends one.
	DeliveryID string
	// RequestHash identifies the request that the delivery carries.
	RequestHash string
	ReceivedAt  time.Time
}

// Outcome kinds.
const (
	Started   = "started"
	Duplicate = "duplicate"
	Conflict  = "conflict"
)

// Outcome is the result of recording a delivery.
type Outcome struct {
	// Kind is Started, Duplicate (the ticket already started Execution
	// with the same request) or Conflict (with a different request).
	Kind      string
	Execution string
}
