// Package reservations stores the places that runs hold among the private
// endpoints of Snowflake accounts, in SQLite, for the embedded engine on one
// machine.
package reservations

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/workflow"
)

// TTL is how long a place stays reserved after its last reservation. A run
// reserves at preflight and renews at the endpoint step, which normally
// comes minutes later, so the bound leaves room for that step's retries.
// A place ends earlier only when the run that owns it releases it on
// close. The TTL frees the place of a run whose process was killed, and
// of a run closed during the endpoint step. A place whose endpoint exists
// stays until the TTL too, so that a caller whose listing was taken before
// the endpoint was created still counts it.
const TTL = 2 * time.Hour

// Store keeps reservations in a SQLite database file.
type Store struct {
	db    *sql.DB
	ttl   time.Duration
	ended EndedFunc
}

// EndedFunc reports whether the place that execution holds for the request
// with ID requestID has ended before its TTL, such as because the execution
// closed before it could create an endpoint.
type EndedFunc func(ctx context.Context, requestID, execution string) (bool, error)

// place is a live place held by a request: the provider service of its
// endpoint, "" before the run built it, and the execution that holds it, ""
// for a place reserved before the store recorded holders.
type place struct {
	service   string
	execution string
}

var _ workflow.EndpointReservationChecker = (*Store)(nil)

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	const schema = `CREATE TABLE IF NOT EXISTS endpoint_reservations (
		account TEXT NOT NULL,
		request TEXT NOT NULL,
		service TEXT NOT NULL,
		reserved_at INTEGER NOT NULL,
		execution TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (account, request)
	)`
	// Every transaction takes the write lock when it begins, so two
	// reservations cannot both count the same free place.
	db, err := sqlitefile.Open(path, schema, true)
	if err != nil {
		return nil, fmt.Errorf("open reservation store %s: %w", path, err)
	}
	if err := migrateHolders(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open reservation store %s: %w", path, err)
	}
	return &Store{db: db, ttl: TTL}, nil
}

// migrateHolders adds the execution column to a table made before places
// recorded the execution that owns them. Those places keep an empty
// holder, which any closing run of their request releases, as before. The
// check runs in the write transaction, so two processes that open an old
// file at once add the column once.
func migrateHolders(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate endpoint_reservations table: %w", err)
	}
	defer tx.Rollback()
	var columns int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('endpoint_reservations') WHERE name = 'execution'`).Scan(&columns)
	if err != nil {
		return fmt.Errorf("migrate endpoint_reservations table: %w", err)
	}
	if columns > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE endpoint_reservations ADD COLUMN execution TEXT NOT NULL DEFAULT ''`); err != nil {
		return fmt.Errorf("migrate endpoint_reservations table: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate endpoint_reservations table: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SetEnded makes Reserve and Check call ended for each place that another
// request holds, and count the place as free when it has ended. Reserve
// also deletes such a place. A place without a recorded holder is never
// passed to ended. Call SetEnded before the store is used.
func (s *Store) SetEnded(ended EndedFunc) { s.ended = ended }

// Reserve implements workflow.EndpointReservations. Accounts are compared
// by request.AccountKey, and service IDs without case, because Azure
// resource IDs ignore case. The place records r.Execution as its holder,
// so a later run of the request takes it over.
func (s *Store) Reserve(ctx context.Context, r workflow.EndpointReservation) (workflow.ReservationResult, error) {
	account := request.AccountKey(r.Account)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return workflow.ReservationResult{}, fmt.Errorf("reserve a private endpoint of %s: %w", r.Account, err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `DELETE FROM endpoint_reservations WHERE reserved_at < ?`, r.Now.Add(-s.ttl).Unix()); err != nil {
		return workflow.ReservationResult{}, fmt.Errorf("drop expired endpoint reservations: %w", err)
	}
	held, err := heldPlaces(ctx, tx, account, r.Now.Add(-s.ttl))
	if err != nil {
		return workflow.ReservationResult{}, err
	}

	ended, err := s.endedPlaces(ctx, r, held)
	if err != nil {
		return workflow.ReservationResult{}, err
	}
	for _, request := range ended {
		if err := drop(ctx, tx, account, request); err != nil {
			return workflow.ReservationResult{}, err
		}
		delete(held, request)
	}

	service := held[r.RequestID].service
	if r.ServiceID != "" {
		service = r.ServiceID
	}
	if result := decide(r, held); !result.Reserved {
		// The refusal is final, but the places that ended stay dropped.
		if err := tx.Commit(); err != nil {
			return workflow.ReservationResult{}, fmt.Errorf("drop ended endpoint reservations of %s: %w", r.Account, err)
		}
		return result, nil
	}

	_, err = tx.ExecContext(ctx,
		`INSERT INTO endpoint_reservations (account, request, service, reserved_at, execution) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(account, request) DO UPDATE SET service = excluded.service, reserved_at = excluded.reserved_at,
			execution = excluded.execution`,
		account, r.RequestID, service, r.Now.Unix(), r.Execution)
	if err != nil {
		return workflow.ReservationResult{}, fmt.Errorf("reserve a private endpoint of %s for %s: %w", r.Account, r.RequestID, err)
	}
	if err := tx.Commit(); err != nil {
		return workflow.ReservationResult{}, fmt.Errorf("reserve a private endpoint of %s for %s: %w", r.Account, r.RequestID, err)
	}
	return workflow.ReservationResult{Reserved: true}, nil
}

// Check implements workflow.EndpointReservationChecker. It reads the
// places in one transaction and writes nothing, so the expired places and
// those that ended stay in the file until the next Reserve drops them.
func (s *Store) Check(ctx context.Context, r workflow.EndpointReservation) (workflow.ReservationResult, error) {
	account := request.AccountKey(r.Account)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return workflow.ReservationResult{}, fmt.Errorf("check the private endpoint reservations of %s: %w", r.Account, err)
	}
	defer tx.Rollback()

	held, err := heldPlaces(ctx, tx, account, r.Now.Add(-s.ttl))
	if err != nil {
		return workflow.ReservationResult{}, err
	}
	ended, err := s.endedPlaces(ctx, r, held)
	if err != nil {
		return workflow.ReservationResult{}, err
	}
	for _, request := range ended {
		delete(held, request)
	}
	return decide(r, held), nil
}

// endedPlaces returns the requests among held whose places the store's
// EndedFunc reports as ended, except r's own place, which r takes over
// anyway. A place whose endpoint is among r.Listed has not ended, because
// another caller may hold a listing taken before that endpoint existed,
// and the place is all that makes that caller count the endpoint.
func (s *Store) endedPlaces(ctx context.Context, r workflow.EndpointReservation, held map[string]place) ([]string, error) {
	var ended []string
	for request, p := range held {
		if s.ended == nil || p.execution == "" || request == r.RequestID {
			continue
		}
		over, err := s.ended(ctx, request, p.execution)
		if err != nil {
			return nil, fmt.Errorf("check the endpoint reservation of %s held by execution %s: %w", request, p.execution, err)
		}
		if over {
			ended = append(ended, request)
		}
	}
	return ended, nil
}

// decide returns whether r gets a place, given held, the place of each
// request that holds a live place that has not ended. A request that holds
// a place keeps it whatever the count.
func decide(r workflow.EndpointReservation, held map[string]place) workflow.ReservationResult {
	if _, reserved := held[r.RequestID]; reserved {
		return workflow.ReservationResult{Reserved: true}
	}
	counted := unlisted(held, r.Listed)
	if len(r.Listed)+len(counted) < r.Limit {
		return workflow.ReservationResult{Reserved: true}
	}
	return workflow.ReservationResult{Holders: counted}
}

// unlisted returns the sorted requests among held whose endpoint is not
// among listed, so their places count beside the listed endpoints. A
// place whose endpoint is listed counts once, as that endpoint.
func unlisted(held map[string]place, listed []string) []string {
	var requests []string
	for request, p := range held {
		if p.service == "" || !containsFold(listed, p.service) {
			requests = append(requests, request)
		}
	}
	slices.Sort(requests)
	return requests
}

// Release implements workflow.EndpointReservations. A place without a
// recorded holder, reserved before the store kept one, matches any
// execution.
func (s *Store) Release(ctx context.Context, account, requestID, execution string) error {
	account = request.AccountKey(account)
	_, err := s.db.ExecContext(ctx, `DELETE FROM endpoint_reservations
		WHERE account = ? AND request = ? AND (? = '' OR execution = '' OR execution = ?)`,
		account, requestID, execution, execution)
	if err != nil {
		return fmt.Errorf("release the private endpoint reservation of %s in %s: %w", requestID, account, err)
	}
	return nil
}

func drop(ctx context.Context, tx *sql.Tx, account, request string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM endpoint_reservations WHERE account = ? AND request = ?`, account, request); err != nil {
		return fmt.Errorf("drop the endpoint reservation of %s in %s: %w", request, account, err)
	}
	return nil
}

// heldPlaces returns the place of each request that holds a place in
// account reserved at or after since.
func heldPlaces(ctx context.Context, tx *sql.Tx, account string, since time.Time) (map[string]place, error) {
	rows, err := tx.QueryContext(ctx, `SELECT request, service, execution FROM endpoint_reservations WHERE account = ? AND reserved_at >= ?`,
		account, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("list endpoint reservations of %s: %w", account, err)
	}
	defer rows.Close()
	held := map[string]place{}
	for rows.Next() {
		var request string
		var p place
		if err := rows.Scan(&request, &p.service, &p.execution); err != nil {
			return nil, fmt.Errorf("read endpoint reservation of %s: %w", account, err)
		}
		held[request] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list endpoint reservations of %s: %w", account, err)
	}
	return held, nil
}

func containsFold(values []string, value string) bool {
	return slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, value) })
}
