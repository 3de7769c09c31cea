package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Redrive restarts a FAILED, TIMED_OUT or ABORTED execution from the
// states that did not succeed, keeping its name, input and definition.
// States that succeeded are not run again. A succeeded or running
// execution, or one that reached the history limit, is ErrCannotRedrive.
func (e *Engine) Redrive(ctx context.Context, name string) (Execution, error) {
	if _, err := e.redrive(ctx, name, ""); err != nil {
		return Execution{}, err
	}
	return e.Describe(ctx, name)
}

// NotRedrivableReason returns why Redrive rejects x, or "" when Redrive
// accepts it: x is FAILED, TIMED_OUT or ABORTED and its history is below
// the limit of 25,000 events.
func (e *Engine) NotRedrivableReason(x Execution) string {
	return e.notRedrivableReason(x.Status, x.HistoryFull)
}

func (e *Engine) notRedrivableReason(status string, historyFull bool) string {
	switch {
	case status == StatusRunning || status == StatusSucceeded:
		return "its status is " + status
	case historyFull:
		return fmt.Sprintf("its history reached the limit of %d events", e.maxEvents)
	}
	return ""
}

// Limits of the client tokens that RedriveWithToken keeps per execution.
// Step Functions documents the same for RedriveExecution: a token counts
// for 15 minutes after its first use, and only while it is among the last
// 10 tokens that redrove the execution.
const (
	redriveTokenLifetime = 15 * time.Minute
	maxRedriveTokens     = 10
)

// RedriveWithToken redrives like Redrive and returns the time of the
// redrive. A client token that already redrove the execution, within its
// lifetime and among the execution's last 10 tokens, redrives nothing
// again: the call returns the time of that first redrive, whatever the
// status is now. The tokens are stored with the execution, so this holds
// across processes. An empty token redrives every time.
func (e *Engine) RedriveWithToken(ctx context.Context, name, clientToken string) (time.Time, error) {
	at, err := e.redrive(ctx, name, clientToken)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, at).UTC(), nil
}

// redrive redrives an execution, or finds the earlier redrive of
// clientToken, and returns the redrive time in Unix nanoseconds.
func (e *Engine) redrive(ctx context.Context, name, clientToken string) (int64, error) {
	var redrivenAt int64
	var redriveCount int
	repeated := false
	err := e.transact(ctx, name, func(t *txn) error {
		if clientToken != "" {
			at, found, err := t.redriveOfToken(clientToken)
			if err != nil {
				return err
			}
			if found {
				redrivenAt, repeated = at, true
				return errNoChange
			}
		}
		if reason := t.e.notRedrivableReason(t.exec.Status, t.exec.HistoryFull); reason != "" {
			return fmt.Errorf("%w: %s", ErrCannotRedrive, reason)
		}

		roots, err := loadCursors(t.ctx, t.tx, `execution = ? AND parent = 0`, name)
		if err != nil {
			return err
		}
		for _, root := range roots {
			if err := t.redriveCursor(root); err != nil {
				return err
			}
		}

		t.exec.Status = StatusRunning
		t.exec.Output = nil
		t.exec.Error, t.exec.Cause = "", ""
		t.exec.StoppedAt = 0
		t.exec.RedriveCount++
		t.exec.RedrivenAt = t.now.UnixNano()
		sm, err := t.machine()
		if err != nil {
			return err
		}
		if sm.TimeoutSeconds > 0 {
			t.exec.Deadline = t.now.Add(time.Duration(sm.TimeoutSeconds) * time.Second).UnixNano()
		}
		if err := t.emit("ExecutionRedriven", "", map[string]any{"redriveCount": t.exec.RedriveCount}); err != nil {
			return err
		}
		if clientToken != "" {
			if err := t.keepRedriveToken(clientToken); err != nil {
				return err
			}
		}
		if err := t.recordChange(changeRedriven); err != nil {
			return err
		}
		t.newWork = true
		t.closed = true
		redrivenAt, redriveCount = t.exec.RedrivenAt, t.exec.RedriveCount
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redrive execution %q: %w", name, err)
	}
	if repeated {
		e.log.Info("execution redrive repeated with the same client token", "execution", name)
	} else {
		e.log.Info("execution redriven", "execution", name, "redrive_count", redriveCount)
	}
	return redrivenAt, nil
}

// redriveOfToken returns the time at which clientToken redrove the
// execution, if the token still counts.
func (t *txn) redriveOfToken(clientToken string) (int64, bool, error) {
	var at int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT redriven_at FROM redrive_tokens
		WHERE execution = ? AND token = ? AND redriven_at > ?`,
		t.exec.Name, clientToken, t.now.Add(-redriveTokenLifetime).UnixNano()).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read redrive client token: %w", err)
	}
	return at, true, nil
}

// keepRedriveToken stores the client token of the redrive in t, and drops
// the execution's tokens that are past their lifetime or older than the
// last maxRedriveTokens.
func (t *txn) keepRedriveToken(clientToken string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO redrive_tokens (execution, token, redrive_count, redriven_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (execution, token) DO UPDATE
		SET redrive_count = excluded.redrive_count, redriven_at = excluded.redriven_at`,
		t.exec.Name, clientToken, t.exec.RedriveCount, t.exec.RedrivenAt)
	if err != nil {
		return fmt.Errorf("store redrive client token: %w", err)
	}
	_, err = t.tx.ExecContext(t.ctx, `DELETE FROM redrive_tokens WHERE execution = ? AND (redriven_at <= ?
		OR redrive_count NOT IN (SELECT redrive_count FROM redrive_tokens WHERE execution = ?
			ORDER BY redrive_count DESC LIMIT ?))`,
		t.exec.Name, t.now.Add(-redriveTokenLifetime).UnixNano(), t.exec.Name, maxRedriveTokens)
	if err != nil {
		return fmt.Errorf("drop old redrive client tokens: %w", err)
	}
	return nil
}

// redriveCursor makes a cursor that did not finish run again: a Parallel
// or Map state with children redrives the children that did not succeed,
// and any other state is entered again with its original input.
func (t *txn) redriveCursor(c *cursor) error {
	if c.Phase == phaseDone || c.Phase == phaseQueued {
		return nil
	}
	children, err := loadCursors(t.ctx, t.tx, `parent = ?`, c.ID)
	if err != nil {
		return err
	}
	zero := int64(0)
	c.DueAt = &zero
	c.Error, c.Cause = "", ""
	if len(children) > 0 {
		for _, ch := range children {
			if err := t.redriveCursor(ch); err != nil {
				return err
			}
		}
		c.Phase = phaseChildren
		return saveCursor(t.ctx, t.tx, c)
	}
	c.Phase = phaseEnter
	c.Retries = nil
	c.RetryCount = 0
	c.Token = ""
	return saveCursor(t.ctx, t.tx, c)
}
