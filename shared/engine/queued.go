package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrResultQueued reports that SendTaskSuccess or SendTaskFailure already
// stored a result for the token, which the Run loop has not applied yet.
// It comes with ErrInvalidToken and ErrTaskClosed.
var ErrResultQueued = errors.New("a result for the token is already queued")

// QueuedResult is a task result that SendTaskSuccess or SendTaskFailure
// stored and that no Run loop has applied to its execution yet, such as
// while no process runs the execution.
type QueuedResult struct {
	Token string
	// Succeeded is true for a result of SendTaskSuccess and false for one
	// of SendTaskFailure.
	Succeeded bool
	// Error is the error name of a SendTaskFailure result.
	Error string
}

// QueuedResults returns the queued task results of the execution name, in
// order of token. The Run loop applies each one when it next runs the
// execution, and it is no longer queued from then on.
func (e *Engine) QueuedResults(ctx context.Context, name string) ([]QueuedResult, error) {
	// A token keeps its outcome after Run applied it, and its cursor then
	// no longer waits in the token phase for it.
	rows, err := e.db.QueryContext(ctx, `SELECT t.token, t.status, t.error FROM tokens t
		JOIN cursors c ON c.id = t.cursor AND c.token = t.token AND c.phase = ?
		WHERE t.execution = ? AND t.status IN (?, ?) ORDER BY t.token`, phaseToken, name, tokenSucceeded, tokenFailed)
	if err != nil {
		return nil, fmt.Errorf("read queued task results of %s: %w", name, err)
	}
	defer rows.Close()
	var results []QueuedResult
	for rows.Next() {
		var r QueuedResult
		var status string
		if err := rows.Scan(&r.Token, &status, &r.Error); err != nil {
			return nil, fmt.Errorf("read queued task results of %s: %w", name, err)
		}
		r.Succeeded = status == tokenSucceeded
		results = append(results, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read queued task results of %s: %w", name, err)
	}
	return results, nil
}

// rowQuerier is the query method that resultQueued needs, which a
// transaction of the store has.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// resultQueued reports whether the cursor with ID cursor still waits in
// the token phase for token, whose outcome is stored, so that Run has not
// applied the outcome yet.
func resultQueued(ctx context.Context, q rowQuerier, cursor int64, token string) (bool, error) {
	var waiting int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cursors WHERE id = ? AND token = ? AND phase = ?`,
		cursor, token, phaseToken).Scan(&waiting)
	return waiting > 0, err
}
