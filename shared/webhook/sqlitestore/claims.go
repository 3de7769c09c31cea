package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

// claimState is the state of a ticket that a claim attempt found.
type claimState int

const (
	// claimRecorded means the ticket already has an execution, and the
	// delivery was recorded as a duplicate or a conflict.
	claimRecorded claimState = iota
	// claimTaken means this delivery now holds the claim and calls start.
	claimTaken
	// claimBusy means another delivery holds an unexpired claim.
	claimBusy
)

type claimResult struct {
	state     claimState
	outcome   webhook.Outcome
	expiresAt time.Time
}

// claim runs one short transaction: it records a delivery of a ticket that
// already has an execution, or claims a ticket that has none, or reports
// the unexpired claim of another delivery.
func (s *Store) claim(ctx context.Context, d webhook.Delivery, owner string) (claimResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return claimResult{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	defer tx.Rollback()

	out, found, err := recordedOutcome(ctx, tx, d)
	if err != nil {
		return claimResult{}, err
	}
	if found {
		if err := insertDelivery(ctx, tx, d, out); err != nil {
			return claimResult{}, err
		}
		if err := tx.Commit(); err != nil {
			return claimResult{}, fmt.Errorf("record delivery of %s: %w", d.Ticket, err)
		}
		return claimResult{state: claimRecorded, outcome: out}, nil
	}

	now := s.opts.Now()
	var holder string
	var expiresAt int64
	err = tx.QueryRowContext(ctx, `SELECT owner, expires_at FROM claims WHERE ticket = ?`, d.Ticket).Scan(&holder, &expiresAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return claimResult{}, fmt.Errorf("read claim of ticket %s: %w", d.Ticket, err)
	case now.UnixNano() < expiresAt:
		return claimResult{state: claimBusy, expiresAt: time.Unix(0, expiresAt)}, nil
	default:
		s.opts.Logger.Warn("expired webhook claim taken over, starting the ticket again",
			"ticket", d.Ticket, "previous_owner", holder, "expired_at", time.Unix(0, expiresAt).UTC())
	}

	_, err = tx.ExecContext(ctx, `INSERT INTO claims (ticket, owner, request_hash, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ticket) DO UPDATE SET owner = excluded.owner, request_hash = excluded.request_hash,
			expires_at = excluded.expires_at`,
		d.Ticket, owner, d.RequestHash, now.Add(s.opts.ClaimTimeout).UnixNano())
	if err != nil {
		return claimResult{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	if err := tx.Commit(); err != nil {
		return claimResult{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	return claimResult{state: claimTaken}, nil
}

// record stores the execution that owner's start returned, drops the claim
// and records the delivery. When a delivery that took over an expired claim
// recorded the ticket first, this delivery is a duplicate or a conflict of
// that record.
func (s *Store) record(ctx context.Context, d webhook.Delivery, owner, execution string) (webhook.Outcome, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return webhook.Outcome{}, fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	defer tx.Rollback()

	out := webhook.Outcome{Kind: webhook.Started, Execution: execution}
	res, err := tx.ExecContext(ctx, `INSERT INTO tickets (ticket, request_hash, execution, source, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket) DO NOTHING`,
		d.Ticket, d.RequestHash, execution, d.Source, d.ReceivedAt.UnixNano())
	if err != nil {
		return webhook.Outcome{}, fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	inserted, err := res.RowsAffected()
	if err != nil {
		return webhook.Outcome{}, fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	if inserted == 0 {
		if out, _, err = recordedOutcome(ctx, tx, d); err != nil {
			return webhook.Outcome{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE ticket = ? AND owner = ?`, d.Ticket, owner); err != nil {
		return webhook.Outcome{}, fmt.Errorf("drop claim of ticket %s: %w", d.Ticket, err)
	}
	if err := insertDelivery(ctx, tx, d, out); err != nil {
		return webhook.Outcome{}, err
	}
	if err := tx.Commit(); err != nil {
		return webhook.Outcome{}, fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	return out, nil
}

// release drops owner's claim after a failed start, so that the next
// delivery of the ticket starts it. A claim that another delivery took
// over stays.
func (s *Store) release(ctx context.Context, ticket, owner string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM claims WHERE ticket = ? AND owner = ?`, ticket, owner); err != nil {
		return fmt.Errorf("release claim of ticket %s: %w", ticket, err)
	}
	return nil
}

// recordedOutcome returns what a delivery of an already started ticket is:
// a duplicate of its request or a conflict with it.
func recordedOutcome(ctx context.Context, tx *sql.Tx, d webhook.Delivery) (webhook.Outcome, bool, error) {
	var out webhook.Outcome
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT execution, request_hash FROM tickets WHERE ticket = ?`, d.Ticket).
		Scan(&out.Execution, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Outcome{}, false, nil
	}
	if err != nil {
		return webhook.Outcome{}, false, fmt.Errorf("read ticket %s: %w", d.Ticket, err)
	}
	out.Kind = webhook.Duplicate
	if hash != d.RequestHash {
		out.Kind = webhook.Conflict
	}
	return out, true, nil
}

func insertDelivery(ctx context.Context, tx *sql.Tx, d webhook.Delivery, out webhook.Outcome) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (source, ticket, event, delivery_id, outcome, execution, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.Source, d.Ticket, d.Event, d.DeliveryID, out.Kind, out.Execution, d.ReceivedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("record delivery of %s: %w", d.Ticket, err)
	}
	return nil
}
