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
	// claimRecorded means the ticket already started an execution with
	// the delivery's request, and the delivery was recorded as a
	// duplicate.
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
	// local is set for claimBusy when a delivery of this Store holds the
	// claim.
	local bool
}

// claim runs one short transaction: it records a delivery of a request
// that the ticket already started, or claims the ticket for a new request,
// or reports the unexpired claim of another delivery.
func (s *Store) claim(ctx context.Context, d webhook.Delivery, owner string) (claimResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return claimResult{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	defer tx.Rollback()

	now := s.opts.Now()
	out, found, err := replayedOutcome(ctx, tx, d, now)
	if err != nil {
		return claimResult{}, err
	}
	if !found {
		out, found, err = recordedOutcome(ctx, tx, d)
		if err != nil {
			return claimResult{}, err
		}
	}
	// An older delivery of the request that the ticket's latest execution
	// runs undoes nothing, so it is a duplicate rather than stale.
	if !found || out.Latest != "" {
		if err := checkSigned(ctx, tx, d); err != nil {
			return claimResult{}, err
		}
	}
	if found {
		if err := insertReplay(ctx, tx, d, out.Execution, now); err != nil {
			return claimResult{}, err
		}
		// A replay leaves the ticket's latest signed delivery as it is,
		// because a later delivery signed in the same second may have
		// replaced the replayed one.
		if !out.Replay {
			if err := updateSigned(ctx, tx, d, out.Execution); err != nil {
				return claimResult{}, err
			}
		}
		if err := insertDelivery(ctx, tx, d, out); err != nil {
			return claimResult{}, err
		}
		if err := tx.Commit(); err != nil {
			return claimResult{}, fmt.Errorf("record delivery of %s: %w", d.Ticket, err)
		}
		return claimResult{state: claimRecorded, outcome: out}, nil
	}

	var holder string
	var expiresAt, claimSignedAt int64
	err = tx.QueryRowContext(ctx, `SELECT owner, expires_at, signed_at FROM claims WHERE ticket = ?`, d.Ticket).
		Scan(&holder, &expiresAt, &claimSignedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return claimResult{}, fmt.Errorf("read claim of ticket %s: %w", d.Ticket, err)
	case now.UnixNano() < expiresAt && s.ownsClaim(holder):
		return claimResult{state: claimBusy, expiresAt: time.Unix(0, expiresAt), local: true}, nil
	case now.UnixNano() < expiresAt && !s.opts.Exclusive:
		return claimResult{state: claimBusy, expiresAt: time.Unix(0, expiresAt)}, nil
	case !d.SignedAt.IsZero() && d.SignedAt.Unix() < claimSignedAt:
		// The start of an expired claim may still run, and a start of
		// this older delivery after it would undo the newer request. The
		// claim of an ended process keeps its newer request too.
		return claimResult{}, &webhook.StaleDeliveryError{Ticket: d.Ticket, SignedAt: d.SignedAt,
			LatestSignedAt: time.Unix(claimSignedAt, 0)}
	case now.UnixNano() < expiresAt:
		s.opts.Logger.Warn("webhook claim of an ended process taken over, starting the ticket again",
			"ticket", d.Ticket, "previous_owner", holder)
	default:
		s.opts.Logger.Warn("expired webhook claim taken over, starting the ticket again",
			"ticket", d.Ticket, "previous_owner", holder, "expired_at", time.Unix(0, expiresAt).UTC())
	}

	var signedAt int64
	if !d.SignedAt.IsZero() {
		signedAt = d.SignedAt.Unix()
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO claims (ticket, owner, request_hash, expires_at, signed_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ticket) DO UPDATE SET owner = excluded.owner, request_hash = excluded.request_hash,
			expires_at = excluded.expires_at, signed_at = excluded.signed_at`,
		d.Ticket, owner, d.RequestHash, now.Add(s.opts.ClaimTimeout).UnixNano(), signedAt)
	if err != nil {
		return claimResult{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	if err := tx.Commit(); err != nil {
		return claimResult{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	return claimResult{state: claimTaken}, nil
}

// record stores the execution that owner's start returned as the ticket's
// latest, with the earlier one kept in runs, drops the claim and records
// the delivery. When a delivery that took over an expired claim recorded
// the same request first, this delivery is a duplicate of that record.
func (s *Store) record(ctx context.Context, d webhook.Delivery, owner, execution string) (webhook.Outcome, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return webhook.Outcome{}, fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	defer tx.Rollback()

	out, found, err := recordedOutcome(ctx, tx, d)
	if err != nil {
		return webhook.Outcome{}, err
	}
	if !found {
		out = webhook.Outcome{Kind: webhook.Started, Execution: execution}
		if err := insertRun(ctx, tx, d, execution); err != nil {
			return webhook.Outcome{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE ticket = ? AND owner = ?`, d.Ticket, owner); err != nil {
		return webhook.Outcome{}, fmt.Errorf("drop claim of ticket %s: %w", d.Ticket, err)
	}
	if err := insertReplay(ctx, tx, d, out.Execution, s.opts.Now()); err != nil {
		return webhook.Outcome{}, err
	}
	if err := updateSigned(ctx, tx, d, out.Execution); err != nil {
		return webhook.Outcome{}, err
	}
	if err := insertDelivery(ctx, tx, d, out); err != nil {
		return webhook.Outcome{}, err
	}
	if err := tx.Commit(); err != nil {
		return webhook.Outcome{}, fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	return out, nil
}

// insertRun records execution as the run of the delivery's request. It
// also makes it the ticket's latest execution, unless a delivery received
// later recorded its run first: a start can outlive its claim, and a
// changed request can take the ticket over meanwhile. The tickets row of a
// file written before runs existed goes into runs first, so that it stays
// known.
func insertRun(ctx context.Context, tx *sql.Tx, d webhook.Delivery, execution string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO runs (ticket, request_hash, execution, created_at)
		SELECT ticket, request_hash, execution, created_at FROM tickets WHERE ticket = ?
		ON CONFLICT (ticket, request_hash) DO NOTHING`, d.Ticket)
	if err != nil {
		return fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (ticket, request_hash, execution, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ticket, request_hash) DO UPDATE SET execution = excluded.execution, created_at = excluded.created_at`,
		d.Ticket, d.RequestHash, execution, d.ReceivedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tickets (ticket, request_hash, execution, source, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ticket) DO UPDATE SET request_hash = excluded.request_hash, execution = excluded.execution,
			source = excluded.source, created_at = excluded.created_at
		WHERE excluded.created_at >= tickets.created_at`,
		d.Ticket, d.RequestHash, execution, d.Source, d.ReceivedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("record execution %s of ticket %s: %w", execution, d.Ticket, err)
	}
	return nil
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

// recordedOutcome returns the duplicate outcome of a delivery whose
// request the ticket already started, and false when the request is new
// to the ticket. The tickets row holds the latest execution that a
// delivery started and runs every execution, so a request found only in
// runs is an earlier one, which is new to the ticket again for a delivery
// with RerunEarlier. So is the request of the tickets row when d.Latest
// names an execution that started outside the webhook after it.
func recordedOutcome(ctx context.Context, tx *sql.Tx, d webhook.Delivery) (webhook.Outcome, bool, error) {
	var recorded, recordedHash string
	err := tx.QueryRowContext(ctx, `SELECT execution, request_hash FROM tickets WHERE ticket = ?`, d.Ticket).
		Scan(&recorded, &recordedHash)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Outcome{}, false, nil
	}
	if err != nil {
		return webhook.Outcome{}, false, fmt.Errorf("read ticket %s: %w", d.Ticket, err)
	}
	latest, err := latestExecution(ctx, tx, d, recorded)
	if err != nil {
		return webhook.Outcome{}, false, err
	}
	if recordedHash == d.RequestHash && latest == recorded {
		return webhook.Outcome{Kind: webhook.Duplicate, Execution: recorded}, true, nil
	}
	if d.RerunEarlier {
		return webhook.Outcome{}, false, nil
	}

	earlier := recorded
	if recordedHash != d.RequestHash {
		err = tx.QueryRowContext(ctx, `SELECT execution FROM runs WHERE ticket = ? AND request_hash = ?`, d.Ticket, d.RequestHash).
			Scan(&earlier)
		if errors.Is(err, sql.ErrNoRows) {
			return webhook.Outcome{}, false, nil
		}
		if err != nil {
			return webhook.Outcome{}, false, fmt.Errorf("read runs of ticket %s: %w", d.Ticket, err)
		}
	}
	out := webhook.Outcome{Kind: webhook.Duplicate, Execution: earlier}
	if latest != earlier {
		out.Latest = latest
	}
	return out, true, nil
}

// latestExecution returns the ticket's latest execution: d.Latest when it
// names an execution that no delivery recorded, such as one that repolink
// run started, and recorded otherwise. An execution that a delivery
// recorded is not taken from d.Latest, because d.Latest was read before the
// transaction and a delivery may have recorded a later one since.
func latestExecution(ctx context.Context, tx *sql.Tx, d webhook.Delivery, recorded string) (string, error) {
	if d.Latest == "" || d.Latest == recorded {
		return recorded, nil
	}
	var known int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE ticket = ? AND execution = ?`, d.Ticket, d.Latest).Scan(&known)
	if err != nil {
		return "", fmt.Errorf("read runs of ticket %s: %w", d.Ticket, err)
	}
	if known > 0 {
		return recorded, nil
	}
	return d.Latest, nil
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

// replayedOutcome returns the outcome of a delivery whose ReplayKey has an
// unexpired record, and false when it has none.
func replayedOutcome(ctx context.Context, tx *sql.Tx, d webhook.Delivery, now time.Time) (webhook.Outcome, bool, error) {
	if d.ReplayKey == "" {
		return webhook.Outcome{}, false, nil
	}
	var execution string
	err := tx.QueryRowContext(ctx, `SELECT execution FROM replays WHERE replay_key = ? AND expires_at > ?`,
		d.ReplayKey, now.UnixNano()).Scan(&execution)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Outcome{}, false, nil
	}
	if err != nil {
		return webhook.Outcome{}, false, fmt.Errorf("read replay record of a delivery of %s: %w", d.Ticket, err)
	}
	return webhook.Outcome{Kind: webhook.Duplicate, Execution: execution, Replay: true}, true, nil
}

// insertReplay records the delivery's ReplayKey with execution, unless the
// key has an unexpired record already, and deletes the expired records.
func insertReplay(ctx context.Context, tx *sql.Tx, d webhook.Delivery, execution string, now time.Time) error {
	if d.ReplayKey == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM replays WHERE expires_at <= ?`, now.UnixNano()); err != nil {
		return fmt.Errorf("delete expired replay records: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO replays (replay_key, execution, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (replay_key) DO NOTHING`, d.ReplayKey, execution, d.ReplayUntil.UnixNano())
	if err != nil {
		return fmt.Errorf("record replay key of a delivery of %s: %w", d.Ticket, err)
	}
	return nil
}

// ReplayCount returns how many replay records the store holds, expired
// ones that no write has deleted yet included.
func (s *Store) ReplayCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM replays`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count replay records: %w", err)
	}
	return n, nil
}

// checkSigned returns a *webhook.StaleDeliveryError when d is signed before
// the latest signed delivery that its ticket accepted.
func checkSigned(ctx context.Context, tx *sql.Tx, d webhook.Delivery) error {
	if d.SignedAt.IsZero() {
		return nil
	}
	var signedAt int64
	var execution string
	err := tx.QueryRowContext(ctx, `SELECT signed_at, execution FROM signed WHERE ticket = ?`, d.Ticket).Scan(&signedAt, &execution)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read latest signed delivery of ticket %s: %w", d.Ticket, err)
	}
	if d.SignedAt.Unix() >= signedAt {
		return nil
	}
	return &webhook.StaleDeliveryError{Ticket: d.Ticket, SignedAt: d.SignedAt, LatestSignedAt: time.Unix(signedAt, 0), Execution: execution}
}

// updateSigned keeps d.SignedAt and execution as the ticket's latest signed
// delivery, unless the ticket has one signed later. Of two deliveries signed
// in the same second, the one accepted last is kept.
func updateSigned(ctx context.Context, tx *sql.Tx, d webhook.Delivery, execution string) error {
	if d.SignedAt.IsZero() {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO signed (ticket, signed_at, execution) VALUES (?, ?, ?)
		ON CONFLICT (ticket) DO UPDATE SET signed_at = excluded.signed_at, execution = excluded.execution
		WHERE excluded.signed_at >= signed.signed_at`, d.Ticket, d.SignedAt.Unix(), execution)
	if err != nil {
		return fmt.Errorf("record latest signed delivery of ticket %s: %w", d.Ticket, err)
	}
	return nil
}
