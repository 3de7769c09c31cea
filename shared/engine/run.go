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

// dueBatch is the maximum number of cursors that are not in flight that
// Run reads from the store at once.
const dueBatch = 500

// Run advances every open execution until ctx is done: it resumes the
// executions that an earlier process left open, fires due timers, picks up
// task tokens completed by other processes and runs task functions, each
// on its own goroutine. It logs the starts, stops and redrives that other
// engines on the store make, as it logs its own. It returns nil after ctx
// is done and every task function it started has returned.
//
// Only one Run loop per store does work at a time: it holds a lease in the
// store, and a Run loop in another process waits until that lease is
// released or expires.
func (e *Engine) Run(ctx context.Context) error {
	type stepDone struct {
		id  int64
		err error
		due time.Time // when the cursor has work next, or zero
		seq int64     // commit sequence number of the cursor's last write
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

	// launch starts a chain on the cursor id. rows, when set, are the
	// cursor and execution rows as Start committed them.
	launch := func(id int64, now time.Time, rows *stepRows) {
		if now.Before(skipUntil[id]) {
			return
		}
		delete(skipUntil, id)
		inflight[id] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e.chain(ctx, id, rows)
			done <- stepDone{id, err, out.due, out.seq}
		}()
	}

	e.log.Info("engine started")
	// Drop the executions that Start handed over before Run, because the
	// first read of the store finds them.
	e.takeStarted()
	// Run reads the store again when new work is signalled, when the timer
	// fires, or when a chain ends whose cursor a read found due while the
	// chain was in flight, and the read came after the chain's last write.
	// A read before that write saw a state that the chain has since left,
	// because every cursor is due while its task function runs. Reading the
	// store after every step would make each step cost a scan of all due
	// cursors. An execution that Start began in this process is handed
	// over without a read.
	requery := true
	// missed maps each in-flight cursor that a read found due to the
	// value of commitSeq when that read began.
	missed := map[int64]int64{}
	var changes changeWatch
	defer e.watchOwnStarts()()
	var lastRead, next time.Time
	for {
		now := e.clock.Now()
		if requery || now.Sub(lastRead) >= e.pollInterval {
			requery = false
			lastRead = now
			next = time.Time{}
			if err := e.prepareQueued(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("prepare statements", "error", err)
			}
			held, err := runner.hold(ctx, now)
			if err != nil && ctx.Err() == nil && !e.health.Record(err) {
				e.log.Error("hold runner lease", "error", err)
			}
			if more, err := e.logOutsideChanges(ctx, &changes); err != nil && ctx.Err() == nil {
				e.log.Warn("read execution changes of other processes", "error", err)
			} else if more {
				requery = true
			}
			if held {
				if err := e.pruneChanges(ctx, &changes); err != nil && ctx.Err() == nil {
					e.log.Warn("delete old execution changes", "error", err)
				}
			}
			var ids []int64
			var readSeq int64
			if held {
				if err := e.timeOutExecutions(ctx, now); err != nil && ctx.Err() == nil && !e.health.Record(err) {
					e.log.Error("check execution timeouts", "error", err)
				}
				readSeq = e.commitSeq.Load()
				// Cursors in flight are due and come first, so the read
				// takes them on top of a full batch of other work.
				limit := dueBatch + len(inflight)
				ids, next, err = e.dueCursors(ctx, now, limit)
				if err != nil && ctx.Err() == nil {
					e.log.Error("read due work", "error", err)
				}
				if len(ids) == limit {
					// More cursors may be due than one read returns.
					requery = true
				}
			}
			for _, id := range ids {
				if inflight[id] {
					missed[id] = readSeq
					continue
				}
				launch(id, now, nil)
			}
		}

		wait := e.pollInterval - now.Sub(lastRead)
		if !next.IsZero() && next.Sub(now) < wait {
			wait = next.Sub(now)
		}
		timer := e.clock.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			e.log.Info("engine stopping")
			return nil
		case r := <-done:
			delete(inflight, r.id)
			if readSeq, ok := missed[r.id]; ok {
				delete(missed, r.id)
				if readSeq >= r.seq {
					requery = true
				}
			}
			if !r.due.IsZero() && !r.due.After(e.clock.Now()) {
				requery = true
			}
			if !r.due.IsZero() && (next.IsZero() || r.due.Before(next)) {
				next = r.due
			}
			if r.err != nil && ctx.Err() == nil {
				if !e.health.Record(r.err) {
					e.log.Error("advance execution", "cursor", r.id, "error", r.err)
				}
				skipUntil[r.id] = e.clock.Now().Add(stepRetryDelay)
			}
		case <-e.wake:
			requery = true
		case <-e.startedWake:
			now := e.clock.Now()
			started := e.takeStarted()
			if !runner.fresh(now) {
				requery = true
				break
			}
			for _, root := range started {
				if !inflight[root.id] {
					launch(root.id, now, root.rows)
				}
				if deadline := time.Unix(0, root.deadline); root.deadline > 0 && (next.IsZero() || deadline.Before(next)) {
					next = deadline
				}
			}
		case <-timer.C():
			requery = true
		}
		timer.Stop()
	}
}

// maxStarted is the maximum number of started executions that wait for
// the Run loop of their process in Engine.started. Start signals further
// ones as new work, which Run finds with a read of the store.
const maxStarted = dueBatch

// startedRoot is the root cursor of an execution that Start began.
type startedRoot struct {
	id       int64
	deadline int64     // TimeoutSeconds deadline in Unix nanoseconds, or 0
	rows     *stepRows // the root cursor and execution rows as Start committed them
}

// handOver passes the root cursor of a committed new execution to this
// process's Run loop, so that Run does not read the store to find it.
func (e *Engine) handOver(root startedRoot) {
	e.mu.Lock()
	full := len(e.started) >= maxStarted
	if !full {
		e.started = append(e.started, root)
	}
	e.mu.Unlock()
	if full {
		e.notifyWork()
		return
	}
	select {
	case e.startedWake <- struct{}{}:
	default:
	}
}

// takeStarted returns and clears the executions that Start handed over.
func (e *Engine) takeStarted() []startedRoot {
	e.mu.Lock()
	defer e.mu.Unlock()
	started := e.started
	e.started = nil
	return started
}

// maxChainTasks is the maximum number of task functions that chain calls
// for one cursor before it lets the Run loop read the store again, for
// execution timeouts and lease renewal.
const maxChainTasks = 20

// chain advances a cursor and calls its task functions until the cursor
// waits, ends or is left for the Run loop. It returns when the cursor is
// due next and the commit sequence number of its last write. A task
// function runs only after its TaskStarted event committed, and its
// outcome is committed before chain returns. So a task that completed is
// never run again, and a task cut off by a crash runs again when the store
// is reopened. Transitions that make other cursors due, such as starting
// Parallel branches, signal the Run loop instead. rows, when set, are the
// cursor and execution rows as the last request committed them.
func (e *Engine) chain(ctx context.Context, id int64, rows *stepRows) (stepOutcome, error) {
	var result *taskResult
	for calls := 0; ; calls++ {
		if result != nil {
			rows = result.call.rows()
		}
		out, err := e.step(ctx, id, rows, result, calls < maxChainTasks)
		if err != nil || out.call == nil {
			return out, err
		}
		call := out.call
		output, callErr := e.callTask(ctx, call.c, call.s)
		if ctx.Err() != nil {
			// Run is stopping: leave the task scheduled so that it runs again.
			return stepOutcome{}, nil
		}
		result = &taskResult{call: call, output: output, err: callErr}
	}
}

// dueCursors returns up to limit cursors due at now and the earliest
// later due time.
func (e *Engine) dueCursors(ctx context.Context, now time.Time, limit int) ([]int64, time.Time, error) {
	held := e.heldJSON()
	rows, err := e.query(ctx, `SELECT id FROM cursors WHERE due_at IS NOT NULL AND due_at <= ?
		AND execution NOT IN (SELECT value FROM json_each(?))
		ORDER BY due_at, id LIMIT ?`, now.UnixNano(), held, limit)
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
	err = e.queryRow(ctx, `SELECT MIN(t) FROM (
		SELECT MIN(due_at) AS t FROM cursors WHERE due_at > ?1 AND execution NOT IN (SELECT value FROM json_each(?2))
		UNION ALL
		SELECT MIN(deadline) FROM executions WHERE status = 'RUNNING' AND deadline > 0
			AND name NOT IN (SELECT value FROM json_each(?2)))`,
		now.UnixNano(), held).Scan(&next)
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
	rows, err := e.query(ctx, `SELECT name FROM executions
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
		if e.isHeld(name) {
			continue
		}
		err := e.transact(ctx, name, func(t *txn) error {
			if t.exec.Status != StatusRunning || t.exec.Deadline == 0 || t.exec.Deadline > t.now.UnixNano() {
				return errNoChange
			}
			return t.closeExecution(StatusTimedOut, ErrorTimeout, "the execution ran longer than its TimeoutSeconds", nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
