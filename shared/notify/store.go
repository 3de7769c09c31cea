package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateSkipped   = "skipped"
)

// Store records one notification per closed execution and redrive, and one
// per stored index credential and expiry time, with the outcome of
// delivering it, in SQLite.
type Store struct {
	db *sql.DB
	// deliveryKey is a random value that the first open stores, so that
	// the delivery IDs of two state directories differ.
	deliveryKey string
}

const storeSchema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
	execution     TEXT NOT NULL,
	redrive_count INTEGER NOT NULL,
	url           TEXT NOT NULL,
	body          TEXT NOT NULL,
	state         TEXT NOT NULL,
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_at       INTEGER NOT NULL,
	last_status   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	delivered_at  INTEGER NOT NULL DEFAULT 0,
	claimed_until INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (execution, redrive_count)
);
`

// OpenStore opens or creates the store at path. The first open records now
// as the time from which closed executions are notified, so that starting
// the service on an old state directory does not notify old runs.
func OpenStore(path string, now time.Time) (*Store, error) {
	db, err := sqlitefile.Open(path, storeSchema, false)
	if err != nil {
		return nil, fmt.Errorf("open notification store %s: %w", path, err)
	}
	if err := addClaimColumn(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("upgrade notification store %s: %w", path, err)
	}
	if _, err := db.Exec(`INSERT INTO meta (key, value) VALUES ('since', ?) ON CONFLICT (key) DO NOTHING`,
		strconv.FormatInt(now.UnixNano(), 10)); err != nil {
		db.Close()
		return nil, fmt.Errorf("record notification start in %s: %w", path, err)
	}
	key, err := readDeliveryKey(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read delivery ID key in %s: %w", path, err)
	}
	return &Store{db: db, deliveryKey: key}, nil
}

// readDeliveryKey returns the store's delivery ID key, which the first
// open creates.
func readDeliveryKey(db *sql.DB) (string, error) {
	if _, err := db.Exec(`INSERT INTO meta (key, value) VALUES ('delivery_key', ?) ON CONFLICT (key) DO NOTHING`,
		rand.Text()); err != nil {
		return "", err
	}
	var key string
	err := db.QueryRow(`SELECT value FROM meta WHERE key = 'delivery_key'`).Scan(&key)
	return key, err
}

// DeliveryID returns the ID that every attempt of the notification of
// execution and redriveCount carries in the X-Repolink-Delivery-ID header,
// also after a restart, so that a receiver can drop repeats. It is the
// first 32 hex digits of a SHA-256 hash of the store's delivery key and the
// record key, so it reveals neither.
func (s *Store) DeliveryID(execution string, redriveCount int) string {
	sum := sha256.Sum256([]byte(s.deliveryKey + "\x00" + execution + "\x00" + strconv.Itoa(redriveCount)))
	return hex.EncodeToString(sum[:16])
}

// addClaimColumn adds the claimed_until column to a store that an earlier
// version created without it. Another process may add it at the same time,
// so a failed ALTER TABLE is an error only when the column is still
// missing.
func addClaimColumn(db *sql.DB) error {
	has := func() (bool, error) {
		var n int
		err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('notifications') WHERE name = 'claimed_until'`).Scan(&n)
		return n > 0, err
	}
	if ok, err := has(); err != nil || ok {
		return err
	}
	_, alterErr := db.Exec(`ALTER TABLE notifications ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0`)
	if alterErr == nil {
		return nil
	}
	if ok, err := has(); err == nil && ok {
		return nil
	}
	return alterErr
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// since returns the time from which closed executions are notified.
func (s *Store) since(ctx context.Context) (time.Time, error) {
	var value string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'since'`).Scan(&value); err != nil {
		return time.Time{}, fmt.Errorf("read notification start: %w", err)
	}
	nanos, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("read notification start %q: %w", value, err)
	}
	return time.Unix(0, nanos), nil
}

// Record is one notification and its delivery state.
type Record struct {
	Execution    string
	RedriveCount int
	URL          string
	Body         []byte
	State        string
	Attempts     int
	NextAt       time.Time
	LastStatus   int
	LastError    string
	DeliveredAt  time.Time
}

// add stores a new notification unless the execution's run already has one,
// and reports whether it stored it.
func (s *Store) add(ctx context.Context, r Record, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO notifications (execution, redrive_count, url, body, state,
		next_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (execution, redrive_count) DO NOTHING`,
		r.Execution, r.RedriveCount, r.URL, string(r.Body), r.State, r.NextAt.UnixNano(), r.LastError, now.UnixNano())
	if err != nil {
		return false, fmt.Errorf("record notification of %s: %w", r.Execution, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record notification of %s: %w", r.Execution, err)
	}
	return n == 1, nil
}

// due returns the pending notifications whose next attempt is due at now.
func (s *Store) due(ctx context.Context, now time.Time) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT execution, redrive_count, url, body, attempts FROM notifications
		WHERE state = ? AND next_at <= ? AND claimed_until <= ? ORDER BY next_at, execution`,
		StatePending, now.UnixNano(), now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read due notifications: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r := Record{State: StatePending}
		var body string
		if err := rows.Scan(&r.Execution, &r.RedriveCount, &r.URL, &body, &r.Attempts); err != nil {
			return nil, fmt.Errorf("read due notifications: %w", err)
		}
		r.Body = []byte(body)
		out = append(out, r)
	}
	return out, rows.Err()
}

// claim marks the pending record r as attempted by this notifier until
// until, and reports whether it did. It fails when another notifier holds
// a claim on r that lasts past now, or attempted r since r was read, so
// that two notifiers on one store never post the same notification at
// once. With due, the next attempt of r must also be due at now.
func (s *Store) claim(ctx context.Context, r Record, now, until time.Time, due bool) (bool, error) {
	stmt := `UPDATE notifications SET claimed_until = ? WHERE execution = ? AND redrive_count = ?
		AND state = ? AND attempts = ? AND claimed_until <= ?`
	args := []any{until.UnixNano(), r.Execution, r.RedriveCount, StatePending, r.Attempts, now.UnixNano()}
	if due {
		stmt += ` AND next_at <= ?`
		args = append(args, now.UnixNano())
	}
	res, err := s.db.ExecContext(ctx, stmt, args...)
	if err != nil {
		return false, fmt.Errorf("claim notification of %s: %w", r.Execution, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notification of %s: %w", r.Execution, err)
	}
	return n == 1, nil
}

// update stores the outcome of one delivery attempt and ends its claim. It
// stores nothing and returns false when the claim that this attempt made
// is no longer held: the claim ran out and another notifier claimed the
// record or stored its own outcome. claimedAttempts and claimedUntil are
// the attempt count that the claim matched and the end that it set.
func (s *Store) update(ctx context.Context, r Record, claimedAttempts int, claimedUntil time.Time) (bool, error) {
	var delivered int64
	if !r.DeliveredAt.IsZero() {
		delivered = r.DeliveredAt.UnixNano()
	}
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET state = ?, attempts = ?, next_at = ?,
		last_status = ?, last_error = ?, delivered_at = ?, claimed_until = 0 WHERE execution = ? AND redrive_count = ?
		AND state = ? AND attempts = ? AND claimed_until = ?`,
		r.State, r.Attempts, r.NextAt.UnixNano(), r.LastStatus, r.LastError, delivered, r.Execution, r.RedriveCount,
		StatePending, claimedAttempts, claimedUntil.UnixNano())
	if err != nil {
		return false, fmt.Errorf("update notification of %s: %w", r.Execution, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update notification of %s: %w", r.Execution, err)
	}
	return n == 1, nil
}

// release ends the claim of an attempt that was abandoned before its
// outcome was known, such as at shutdown, and leaves the record as it was
// before the claim, so that the next notifier attempts it again at once. It
// returns false when the claim is no longer held. claimedAttempts and
// claimedUntil are as in update.
func (s *Store) release(ctx context.Context, r Record, claimedAttempts int, claimedUntil time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET claimed_until = 0 WHERE execution = ? AND redrive_count = ?
		AND state = ? AND attempts = ? AND claimed_until = ?`,
		r.Execution, r.RedriveCount, StatePending, claimedAttempts, claimedUntil.UnixNano())
	if err != nil {
		return false, fmt.Errorf("release notification of %s: %w", r.Execution, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("release notification of %s: %w", r.Execution, err)
	}
	return n == 1, nil
}

// Get returns the notification of one run of an execution.
func (s *Store) Get(ctx context.Context, execution string, redriveCount int) (Record, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+recordColumns+`
		FROM notifications WHERE execution = ? AND redrive_count = ?`, execution, redriveCount)
	r, err := scanRecord(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("notification of %s run %d: %w", execution, redriveCount, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read notification of %s: %w", execution, err)
	}
	return r, nil
}

// recordColumns are the columns that scanRecord reads, in its order.
const recordColumns = `execution, redrive_count, url, body, state, attempts, next_at, last_status, last_error, delivered_at`

// scanRecord reads one row of recordColumns.
func scanRecord(row interface{ Scan(dest ...any) error }) (Record, error) {
	var r Record
	var body string
	var nextAt, deliveredAt int64
	err := row.Scan(&r.Execution, &r.RedriveCount, &r.URL, &body, &r.State, &r.Attempts, &nextAt,
		&r.LastStatus, &r.LastError, &deliveredAt)
	if err != nil {
		return Record{}, err
	}
	r.Body = []byte(body)
	r.NextAt = time.Unix(0, nextAt)
	if deliveredAt != 0 {
		r.DeliveredAt = time.Unix(0, deliveredAt)
	}
	return r, nil
}

// ErrNotFound is returned by Get for a run without a notification.
var ErrNotFound = errors.New("notification not found")
