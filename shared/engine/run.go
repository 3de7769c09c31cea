package engine

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// stepRetryDelay is how long Run leaves a cursor alone after a step failed
// on a store error, so that a broken cursor does not spin the loop.
const stepRetryDelay = time.Second

// dueBatch is the most cursors Run reads from the store at once.
const dueBatch = 500

// Run advances every open execution until ctx is done: it resumes the
// executions that an earlier process left open, fires due timers, picks up
// task tokens completed by other processes and runs task functions, each
// on its own goroutine. It returns nil after ctx is done and every task
// function it started has returned.
//
// Only one Run loop per store does work at a time: it holds a lease in the
// store, and a Run loop in another process waits until that lease is
// released or expires.
func (e *Engine) Run(ctx context.Context) error {
	type stepDone struct {
		id  int64
		err error
	}
	var wg sync.WaitGroup
	done := make(chan stepDone)
	inflight := map[int64]bool{}
	skipUntil := map[int64]time.Time{}

	runner := e.newLease()
	defer func() {
		go func() {
			wg.Wait()
			close(done)
		}()
		for range done {
		}
		runner.release(context.WithoutCancel(ctx))
	}()

	e.log.Info("engine started")
	for {
		now := e.clock.Now()
		held, err := runner.hold(ctx, now)
		if err != nil && ctx.Err() == nil {
			e.log.Error("hold runner lease", "error", err)
		}
		var ids []int64
		var next time.Time
		if held {
			if err := e.timeOutExecutions(ctx, now); err != nil && ctx.Err() == nil {
				e.log.Error("check execution timeouts", "error", err)
			}
			ids, next, err = e.dueCursors(ctx, now)
			if err != nil && ctx.Err() == nil {
				e.log.Error("read due work", "error", err)
			}
		}
		for _, id := range ids {
			if inflight[id] || now.Before(skipUntil[id]) {
				continue
			}
			delete(skipUntil, id)
			inflight[id] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				done <- stepDone{id, e.step(ctx, id)}
			}()
		}

		wait := e.pollInterval
		if !next.IsZero() && next.Sub(now) < wait {
			wait = max(next.Sub(now), 0)
		}
		timer := e.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			e.log.Info("engine stopping")
			return nil
		case r := <-done:
			delete(inflight, r.id)
			if r.err != nil && ctx.Err() == nil {
				e.log.Error("advance execution", "cursor", r.id, "error", r.err)
				skipUntil[r.id] = e.clock.Now().Add(stepRetryDelay)
			}
		case <-e.wake:
		case <-timer.C():
		}
		timer.Stop()
	}
}

// dueCursors returns cursors due at now and the earliest later due time.
func (e *Engine) dueCursors(ctx context.Context, now time.Time) ([]int64, time.Time, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT id FROM cursors WHERE due_at IS NOT NULL AND due_at <= ?
		ORDER BY due_at, id LIMIT ?`, now.UnixNano(), dueBatch)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read due cursors: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, time.Time{}, fmt.Errorf("read due cursors: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()

	var next sql.NullInt64
	err = e.db.QueryRowContext(ctx, `SELECT MIN(t) FROM (
		SELECT MIN(due_at) AS t FROM cursors WHERE due_at > ?
		UNION ALL
		SELECT MIN(deadline) FROM executions WHERE status = 'RUNNING' AND deadline > 0)`,
		now.UnixNano()).Scan(&next)
	if err != nil {
		return ids, time.Time{}, fmt.Errorf("read next due time: %w", err)
	}
	if !next.Valid {
		return ids, time.Time{}, nil
	}
	return ids, time.Unix(0, next.Int64), nil
}

// timeOutExecutions closes executions whose TimeoutSeconds has passed.
func (e *Engine) timeOutExecutions(ctx context.Context, now time.Time) error {
	rows, err := e.db.QueryContext(ctx, `SELECT name FROM executions
		WHERE status = 'RUNNING' AND deadline > 0 AND deadline <= ?`, now.UnixNano())
	if err != nil {
		return fmt.Errorf("read execution deadlines: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	for _, name := range names {
		t, err := e.begin(ctx, name)
		if err != nil {
			return err
		}
		if t.exec.Status != StatusRunning || t.exec.Deadline == 0 || t.exec.Deadline > t.now.UnixNano() {
			t.rollback()
			continue
		}
		if err := t.closeExecution(StatusTimedOut, ErrorTimeout, "the execution ran longer than its TimeoutSeconds", nil); err != nil {
			t.rollback()
			return err
		}
		if err := t.commit(); err != nil {
			return err
		}
	}
	return nil
}
