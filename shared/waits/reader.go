package waits

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/workflow"
)

// Waiting is an execution's open wait as repolink status shows it. It
// leaves out the task token.
type Waiting struct {
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
	// LastPoll is nil until a poller stored an outcome for the wait.
	LastPoll *workflow.WaitPoll `json:"last_poll,omitempty"`
}

// ReadWaiting returns the open wait of execution in the store at path, the
// one with the latest deadline when there are several, or nil when there
// is none or no file at path. It only reads, so it works on a file that an earlier
// version wrote, which has no table of poll outcomes.
func ReadWaiting(ctx context.Context, path, execution string) (*Waiting, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	db, err := sqlitefile.OpenReader(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open wait store %s: %w", path, err)
	}
	defer db.Close()

	var token, body string
	err = db.QueryRowContext(ctx, `SELECT token, body FROM waits WHERE execution = ? ORDER BY deadline DESC LIMIT 1`,
		execution).Scan(&token, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read wait of %s: %w", execution, err)
	}
	var w workflow.Wait
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return nil, fmt.Errorf("decode wait of %s: %w", execution, err)
	}
	waiting := &Waiting{Since: w.CreatedAt, Deadline: w.Deadline}

	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
		pollTable).Scan(&tables); err != nil {
		return nil, fmt.Errorf("read wait store %s: %w", path, err)
	}
	if tables == 0 {
		return waiting, nil
	}
	err = db.QueryRowContext(ctx, `SELECT body FROM `+pollTable+` WHERE token = ?`, token).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return waiting, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read last poll of %s: %w", execution, err)
	}
	var poll workflow.WaitPoll
	if err := json.Unmarshal([]byte(body), &poll); err != nil {
		return nil, fmt.Errorf("decode last poll of %s: %w", execution, err)
	}
	waiting.LastPoll = &poll
	return waiting, nil
}
