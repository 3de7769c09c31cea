package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Store records which ticket started which execution, and every delivery,
// in SQLite. Several processes may open the same file.
type Store struct {
	db *sql.DB
}

const storeSchema = `
CREATE TABLE IF NOT EXISTS tickets (
	ticket       TEXT PRIMARY KEY,
	request_hash TEXT NOT NULL,
	execution    TEXT NOT NULL,
	source       TEXT NOT NULL,
	created_at   INTEGER NOT NULL
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
`

// OpenStore opens or creates the store at path.
func OpenStore(path string) (*Store, error) {
	// _txlock=immediate takes the write lock when a transaction begins, so
	// two deliveries of one ticket cannot both read "no execution yet".
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open delivery store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(storeSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create delivery tables in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

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

// Deliver records a delivery. When the ticket has no execution yet, it
// calls start while holding the store's write lock, so that concurrent
// deliveries of one ticket call start once. When start fails, nothing is
// recorded and the error is returned.
//
// NOTE: if the process dies after start returns and before the commit, the
// next delivery calls start again. So start must return the execution that
// already runs the same request.
func (s *Store) Deliver(ctx context.Context, d Delivery, start func(context.Context) (string, error)) (Outcome, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Outcome{}, fmt.Errorf("record delivery of %s: %w", d.Ticket, err)
	}
	defer tx.Rollback()

	var out Outcome
	var hash string
	err = tx.QueryRowContext(ctx, `SELECT execution, request_hash FROM tickets WHERE ticket = ?`, d.Ticket).
		Scan(&out.Execution, &hash)
	switch {
	case err == nil:
		out.Kind = Duplicate
		if hash != d.RequestHash {
			out.Kind = Conflict
		}
	case errors.Is(err, sql.ErrNoRows):
		out.Kind = Started
		if out.Execution, err = start(ctx); err != nil {
			return Outcome{}, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tickets (ticket, request_hash, execution, source, created_at)
			VALUES (?, ?, ?, ?, ?)`, d.Ticket, d.RequestHash, out.Execution, d.Source, d.ReceivedAt.UnixNano())
		if err != nil {
			return Outcome{}, fmt.Errorf("record ticket %s: %w", d.Ticket, err)
		}
	default:
		return Outcome{}, fmt.Errorf("read ticket %s: %w", d.Ticket, err)
	}

	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (source, ticket, event, delivery_id, outcome, execution, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.Source, d.Ticket, d.Event, d.DeliveryID, out.Kind, out.Execution, d.ReceivedAt.UnixNano())
	if err != nil {
		return Outcome{}, fmt.Errorf("record delivery of %s: %w", d.Ticket, err)
	}
	if err := tx.Commit(); err != nil {
		return Outcome{}, fmt.Errorf("record delivery of %s: %w", d.Ticket, err)
	}
	return out, nil
}

// DeliveryCount returns how many deliveries of a ticket the store recorded.
func (s *Store) DeliveryCount(ctx context.Context, ticket string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE ticket = ?`, ticket).Scan(&n); err != nil {
		return 0, fmt.Errorf("count deliveries of %s: %w", ticket, err)
	}
	return n, nil
}
