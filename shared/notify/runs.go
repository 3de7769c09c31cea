package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/sqlitefile"
)

// ErrNotFailed is returned by Resend for a notification that is pending,
// delivered or skipped.
var ErrNotFailed = errors.New("notification has not failed")

// OpenStoreReader opens the existing store at path for a caller that only
// reads it, such as repolink status. Unlike OpenStore it creates nothing,
// so it does not move the time from which closed executions are notified.
// The store has no delivery ID key, so it must not send notifications.
func OpenStoreReader(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitefile.OpenReader(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open notification store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Runs returns the notifications of every run of execution, the first
// run first. It returns none for an execution whose request has no
// notify.url or that closed before the store was created.
func (s *Store) Runs(ctx context.Context, execution string) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+recordColumns+`
		FROM notifications WHERE execution = ? ORDER BY redrive_count`, execution)
	if err != nil {
		return nil, fmt.Errorf("read notifications of %s: %w", execution, err)
	}
	defer rows.Close()

	var out []Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("read notifications of %s: %w", execution, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read notifications of %s: %w", execution, err)
	}
	return out, nil
}

// Resend makes the failed notification of one run of execution pending
// again, due at now, with no attempts counted, so that the next notifier
// on the store delivers it with the whole retry policy. It returns an
// error that wraps ErrNotFound when the run has no notification, and one
// that wraps ErrNotFailed when the notification has not failed.
func (s *Store) Resend(ctx context.Context, execution string, redriveCount int, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET state = ?, attempts = 0, next_at = ?,
		claimed_until = 0 WHERE execution = ? AND redrive_count = ? AND state = ?`,
		StatePending, now.UnixNano(), execution, redriveCount, StateFailed)
	if err != nil {
		return fmt.Errorf("resend notification of %s: %w", execution, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("resend notification of %s: %w", execution, err)
	}
	if n == 1 {
		return nil
	}
	rec, err := s.Get(ctx, execution, redriveCount)
	if err != nil {
		return err
	}
	return fmt.Errorf("notification of %s run %d is %s: %w", execution, redriveCount, rec.State, ErrNotFailed)
}

// View is the delivery state of one notification as repolink status and
// the operations API show it. It names only the receiver's host, because
// the path or query of notify.url may carry a token, and leaves out the
// body.
type View struct {
	RedriveCount int    `json:"redrive_count"`
	State        string `json:"state"`
	Receiver     string `json:"receiver"`
	Attempts     int    `json:"attempts"`
	// NextAttemptAt is when a pending notification is attempted next.
	NextAttemptAt *execview.Time `json:"next_attempt_at,omitempty"`
	// DeliveredAt is when the receiver accepted a delivered notification.
	DeliveredAt *execview.Time `json:"delivered_at,omitempty"`
	// LastStatus is the HTTP status of the last response, or 0 when the
	// last attempt got none.
	LastStatus int `json:"last_status,omitempty"`
	// LastError is the reason that the last attempt failed or that the
	// notification is skipped. It contains no URL.
	LastError string `json:"last_error,omitempty"`
}

// NewView returns the view of rec.
func NewView(rec Record) View {
	v := View{RedriveCount: rec.RedriveCount, State: rec.State, Receiver: ReceiverHost(rec.URL),
		Attempts: rec.Attempts, LastStatus: rec.LastStatus, LastError: rec.LastError}
	if rec.State == StatePending {
		at := execview.At(rec.NextAt)
		v.NextAttemptAt = &at
	}
	if rec.State == StateDelivered {
		v.LastError = ""
		if !rec.DeliveredAt.IsZero() {
			at := execview.At(rec.DeliveredAt)
			v.DeliveredAt = &at
		}
	}
	return v
}

// ReceiverHost returns the host and port of a notify URL, or "$.notify.url"
// when it has none, because the URL's user information, path or query may
// carry a token.
func ReceiverHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "$.notify.url"
	}
	return u.Host
}
