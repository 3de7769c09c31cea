package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits of the error name and cause of SendTaskFailure and
// StopExecution, as Step Functions sets them.
const (
	MaxErrorChars = 256
	MaxCauseChars = 32768
)

// ValidateErrorCause checks the error name and cause of a task failure or
// a stop against MaxErrorChars and MaxCauseChars, counted in characters.
// The message starts with "error" or "cause", the member that is too long.
func ValidateErrorCause(errName, cause string) error {
	if n := utf8.RuneCountInString(errName); n > MaxErrorChars {
		return fmt.Errorf("error has %d characters, more than the limit of %d", n, MaxErrorChars)
	}
	if n := utf8.RuneCountInString(cause); n > MaxCauseChars {
		return fmt.Errorf("cause has %d characters, more than the limit of %d", n, MaxCauseChars)
	}
	return nil
}

// SendTaskSuccess completes the task waiting on token with output as its
// result. The Run loop of any process that has the store open picks it up.
// An unknown token, or one already completed, timed out or cancelled, is
// ErrInvalidToken.
func (e *Engine) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	compact, err := compactJSON(output)
	if err != nil {
		return fmt.Errorf("send task success: %w: %v", ErrInvalidOutput, err)
	}
	if len(compact) > maxPayloadBytes {
		return fmt.Errorf("send task success: %w: %d bytes, more than the limit of %d bytes",
			ErrInvalidOutput, len(compact), maxPayloadBytes)
	}
	return e.completeToken(ctx, token, "send task success", func(tx *storeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET status = 'succeeded', output = ? WHERE token = ?`,
			string(compact), token)
		return err
	})
}

// SendTaskFailure fails the task waiting on token with an error name and
// cause, which Retry and Catch then match.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	if err := ValidateErrorCause(errName, cause); err != nil {
		return fmt.Errorf("send task failure: %w", err)
	}
	return e.completeToken(ctx, token, "send task failure", func(tx *storeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET status = 'failed', error = ?, cause = ? WHERE token = ?`,
			errName, cause, token)
		return err
	})
}

// SendTaskHeartbeat restarts the HeartbeatSeconds interval of the task
// waiting on token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	now := e.clock.Now().UnixNano()
	return e.updateToken(ctx, token, "send task heartbeat", func(tx *storeTx, cursor int64) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET heartbeat_at = ? WHERE token = ?`, now, token)
		return err
	})
}

// completeToken stores an outcome for a pending token and makes its cursor
// due so that Run applies it.
func (e *Engine) completeToken(ctx context.Context, token, op string, store func(*storeTx) error) error {
	err := e.updateToken(ctx, token, op, func(tx *storeTx, cursor int64) error {
		if err := store(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE cursors SET due_at = 0 WHERE id = ? AND phase = 'token'`, cursor)
		return err
	})
	if err == nil {
		e.notifyWork()
	}
	return err
}

func (e *Engine) updateToken(ctx context.Context, token, op string, update func(*storeTx, int64) error) error {
	tx, err := e.beginTx(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()
	cursor, err := waitingCursor(ctx, tx, token, op)
	if err != nil {
		return err
	}
	if err := update(tx, cursor); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// CheckTaskToken returns the error that SendTaskSuccess, SendTaskFailure
// and SendTaskHeartbeat return for token before they write: an
// ErrInvalidToken refined by ErrTaskNotFound, ErrTaskClosed or
// ErrResultQueued, or nil when a task waits on token. It only reads, so
// it works on an Engine from OpenReadOnly.
func (e *Engine) CheckTaskToken(ctx context.Context, token string) error {
	_, err := waitingCursor(ctx, e.db, token, "check task token")
	return err
}

// waitingCursor returns the ID of the cursor whose task waits on token, or
// the ErrInvalidToken of a token that no task waits on. op prefixes the
// error.
func waitingCursor(ctx context.Context, q rowQuerier, token, op string) (int64, error) {
	var status string
	var cursor int64
	err := q.QueryRowContext(ctx, `SELECT status, cursor FROM tokens WHERE token = ?`, token).Scan(&status, &cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s: %w: %w", op, ErrInvalidToken, ErrTaskNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if status == tokenSucceeded || status == tokenFailed {
		queued, err := resultQueued(ctx, q, cursor, token)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		if queued {
			return 0, fmt.Errorf("%s: %w: %w: %w: the Run loop applies it when it next runs the execution",
				op, ErrInvalidToken, ErrTaskClosed, ErrResultQueued)
		}
	}
	if status != tokenPending {
		return 0, fmt.Errorf("%s: %w: %w: it completed, timed out or was cancelled", op, ErrInvalidToken, ErrTaskClosed)
	}
	return cursor, nil
}
