// Package sqlitestore keeps the webhook's deliveries and the execution that
// each ticket started in SQLite, for repolink up. Several processes may open
// the same file.
//
// A delivery of a new ticket claims the ticket in a short transaction,
// starts the execution with no transaction open, and then records the
// execution in a second short transaction. So deliveries of other tickets
// proceed while one start is slow, and a delivery that races with a start
// waits for that start's outcome instead of starting the execution again.
package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/webhook"
)

var _ webhook.Store = (*Store)(nil)

// Defaults of Options.
const (
	// DefaultClaimTimeout is well above the webhook handler's 30 s bound on
	// one start, so that only the claim of a process that died mid-start
	// expires.
	DefaultClaimTimeout = 2 * time.Minute
	// DefaultPollInterval is how often a delivery checks a claim that
	// another process holds. Claims held in this process wake their
	// waiters directly.
	DefaultPollInterval = 50 * time.Millisecond
	// DefaultHeldClaimWait is how long a delivery waits for a claim that
	// another process holds before it returns a *webhook.ClaimHeldError.
	// It is well below the webhook handler's 30 s bound on a delivery, so
	// that the sender gets an answer to retry on instead of a timeout.
	DefaultHeldClaimWait = 5 * time.Second
)

// settleTimeout bounds recording a started execution, or releasing the
// claim of a failed start, after the caller's context has ended.
const settleTimeout = 10 * time.Second

// Options configures a Store. The zero value uses the defaults.
type Options struct {
	// ClaimTimeout is how long a claim blocks other deliveries of its
	// ticket. A claim older than this belongs to a process that died
	// mid-start, so the next delivery takes it over and calls start
	// again. It must exceed the longest start.
	ClaimTimeout time.Duration
	// PollInterval is how often a waiting delivery checks a claim that
	// another process holds.
	PollInterval time.Duration
	// HeldClaimWait is how long a delivery waits for an unexpired claim
	// that another process holds, before it gives up with a
	// *webhook.ClaimHeldError. A claim held in this process is waited for
	// until it settles, because its start is bounded by its own context.
	HeldClaimWait time.Duration
	// Exclusive states that no other process records claims in the file
	// while this Store is open, such as because repolink up holds the
	// service lock of its state directory. A claim that no delivery of
	// this Store holds then belongs to a process that has ended, so a
	// delivery takes it over at once instead of waiting for it to expire.
	Exclusive bool
	// Now is the clock that claim expiry uses. Nil means time.Now.
	Now func() time.Time
	// Logger receives a warning for each expired claim that a delivery
	// takes over. Nil discards them.
	Logger *slog.Logger
}

// Store records the executions that each ticket started, one per request
// of the ticket, and every delivery. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	opts Options

	// waits holds a channel per ticket that a delivery of this process
	// waits on. Settling a claim in this process closes it.
	mu    sync.Mutex
	waits map[string]*claimWait
	// owners contains the claim owners of the deliveries of this Store
	// that have not returned yet.
	owners map[string]struct{}
}

type claimWait struct {
	done    chan struct{}
	waiters int
}

const schema = `
CREATE TABLE IF NOT EXISTS tickets (
	ticket       TEXT PRIMARY KEY,
	request_hash TEXT NOT NULL,
	execution    TEXT NOT NULL,
	source       TEXT NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
	ticket       TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	execution    TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (ticket, request_hash)
);
CREATE TABLE IF NOT EXISTS claims (
	ticket       TEXT PRIMARY KEY,
	owner        TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	expires_at   INTEGER NOT NULL,
	signed_at    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deliveries (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	source      TEXT NOT NULL,
	ticket      TEXT NOT NULL,
	event       TEXT NOT NULL,
	delivery_id TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	execution   TEXT NOT NULL,
	received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_ticket ON deliveries (ticket, event);
CREATE TABLE IF NOT EXISTS replays (
	replay_key TEXT PRIMARY KEY,
	execution  TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS replays_by_expiry ON replays (expires_at);
CREATE TABLE IF NOT EXISTS signed (
	ticket    TEXT PRIMARY KEY,
	signed_at INTEGER NOT NULL,
	execution TEXT NOT NULL
);
`

// Open opens or creates the store at path. A file written by an earlier
// version, which had no claims or runs table, gets them, and its claims
// table gets the signed_at column. Until a ticket of such a file starts
// another run, its tickets row is its only run.
func Open(path string, opts Options) (*Store, error) {
	if opts.ClaimTimeout <= 0 {
		opts.ClaimTimeout = DefaultClaimTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.HeldClaimWait <= 0 {
		opts.HeldClaimWait = DefaultHeldClaimWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	// Immediate transactions take the write lock when they begin, so two
	// deliveries of one ticket cannot both read "no claim yet", even in two
	// processes. Every transaction is short: none is open while an
	// execution starts.
	db, err := sqlitefile.Open(path, schema, true)
	if err != nil {
		return nil, fmt.Errorf("open delivery store %s: %w", path, err)
	}
	if err := addClaimSignedAt(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open delivery store %s: %w", path, err)
	}
	return &Store{db: db, opts: opts, waits: map[string]*claimWait{}, owners: map[string]struct{}{}}, nil
}

// addClaimSignedAt adds the signed_at column to the claims table of a file
// written before claims kept the signed time of their delivery.
func addClaimSignedAt(db *sql.DB) error {
	if _, err := db.Exec(`SELECT signed_at FROM claims LIMIT 0`); err == nil {
		return nil
	}
	if _, err := db.Exec(`ALTER TABLE claims ADD COLUMN signed_at INTEGER NOT NULL DEFAULT 0`); err != nil {
		return fmt.Errorf("add column signed_at to table claims: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Deliver records a delivery and, for a request that its ticket has not
// started before, claims the ticket, calls start with no transaction open
// and records the execution that start returns as the ticket's latest. A
// delivery that finds the claim of another delivery of this Store waits
// until that claim settles, so concurrent deliveries of one ticket call
// start once. One that finds the unexpired claim of another process that
// shares the file waits up to Options.HeldClaimWait for it to settle, and
// then returns a *webhook.ClaimHeldError.
//
// A failed start releases the claim, so that the next delivery calls start
// again. A claim of a process that died mid-start is taken over, and start
// is called again: at once with Options.Exclusive, and otherwise once the
// claim is older than Options.ClaimTimeout. The webhook's start then
// returns the execution of the ticket's request that the dead process
// started, running or closed, because the execution name derives from the
// ticket.
func (s *Store) Deliver(ctx context.Context, d webhook.Delivery, start func(context.Context) (string, error)) (webhook.Outcome, error) {
	owner, err := newOwner()
	if err != nil {
		return webhook.Outcome{}, fmt.Errorf("claim ticket %s: %w", d.Ticket, err)
	}
	s.addOwner(owner)
	defer s.dropOwner(owner)

	// heldSince is when this delivery first found the claim of another
	// process, or zero.
	var heldSince time.Time
	for {
		settled, stopWaiting := s.watch(d.Ticket)
		result, err := s.claim(ctx, d, owner)
		if err != nil {
			stopWaiting()
			return webhook.Outcome{}, err
		}
		switch result.state {
		case claimRecorded:
			stopWaiting()
			return result.outcome, nil
		case claimTaken:
			stopWaiting()
			return s.startClaimed(ctx, d, owner, start)
		}

		if !result.local {
			now := s.opts.Now()
			if heldSince.IsZero() {
				heldSince = now
			}
			if now.Sub(heldSince) >= s.opts.HeldClaimWait {
				stopWaiting()
				return webhook.Outcome{}, &webhook.ClaimHeldError{Ticket: d.Ticket, ExpiresAt: result.expiresAt}
			}
		}
		err = s.awaitClaim(ctx, settled, result.expiresAt)
		stopWaiting()
		if err != nil {
			return webhook.Outcome{}, fmt.Errorf("wait for the running start of ticket %s: %w", d.Ticket, err)
		}
	}
}

// addOwner records owner as the claim owner of a delivery of this Store
// that has not returned yet.
func (s *Store) addOwner(owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owners[owner] = struct{}{}
}

func (s *Store) dropOwner(owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.owners, owner)
}

// ownsClaim reports whether owner is a delivery of this Store that has not
// returned yet.
func (s *Store) ownsClaim(owner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.owners[owner]
	return ok
}

// startClaimed calls start for a ticket that owner has claimed, then
// records the execution or releases the claim.
func (s *Store) startClaimed(ctx context.Context, d webhook.Delivery, owner string, start func(context.Context) (string, error)) (webhook.Outcome, error) {
	execution, startErr := start(ctx)

	// The caller's context may have ended during start, and a start that
	// went through must still be recorded.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	defer s.wake(d.Ticket)

	if startErr != nil {
		if err := s.release(settleCtx, d.Ticket, owner); err != nil {
			s.opts.Logger.Warn("release webhook claim failed", "ticket", d.Ticket, "error", err)
		}
		return webhook.Outcome{}, startErr
	}
	out, err := s.record(settleCtx, d, owner, execution)
	if err != nil {
		// The next delivery starts the ticket again, which returns the
		// running execution.
		if releaseErr := s.release(settleCtx, d.Ticket, owner); releaseErr != nil {
			s.opts.Logger.Warn("release webhook claim failed", "ticket", d.Ticket, "error", releaseErr)
		}
		return webhook.Outcome{}, err
	}
	return out, nil
}

// awaitClaim waits until a claim held in this process settles, the poll
// interval passes (for a claim that another process holds), or the claim
// expires, whichever comes first.
func (s *Store) awaitClaim(ctx context.Context, settled <-chan struct{}, expiresAt time.Time) error {
	wait := min(s.opts.PollInterval, max(expiresAt.Sub(s.opts.Now()), 0))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-settled:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// watch returns a channel that closes when a delivery of this process
// settles its claim of ticket. The caller calls stop when it no longer
// waits.
func (s *Store) watch(ticket string) (settled <-chan struct{}, stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.waits[ticket]
	if !ok {
		w = &claimWait{done: make(chan struct{})}
		s.waits[ticket] = w
	}
	w.waiters++
	return w.done, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		w.waiters--
		if w.waiters == 0 && s.waits[ticket] == w {
			delete(s.waits, ticket)
		}
	}
}

// wake releases the deliveries of this process that wait on ticket.
func (s *Store) wake(ticket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.waits[ticket]; ok {
		close(w.done)
		delete(s.waits, ticket)
	}
}

// DeliveryCount returns how many deliveries of a ticket the store recorded.
func (s *Store) DeliveryCount(ctx context.Context, ticket string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE ticket = ?`, ticket).Scan(&n); err != nil {
		return 0, fmt.Errorf("count deliveries of %s: %w", ticket, err)
	}
	return n, nil
}

// newOwner returns a random claim owner, unique across processes.
func newOwner() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate claim owner: %w", err)
	}
	return hex.EncodeToString(b), nil
}
