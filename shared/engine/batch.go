package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Group commit. Every write of the Run loop, and of Start, Stop and
// Redrive, is a request that runs inside one SQLite transaction shared
// with the requests queued at the same time. Each request runs under its
// own savepoint, so a request that fails is rolled back alone. The caller
// of update returns only after the shared transaction has committed, and
// the request's events are published (OnEvent, Wait) only then, so
// nothing that another process or a caller can observe depends on an
// uncommitted write. A task function is only called after update returns
// for the request that recorded its TaskStarted event.
//
// No goroutine owns the store: the first caller that finds no batch
// running leads, runs one batch that contains its own request, and hands
// the lead to the oldest request still queued.

// maxBatch is the maximum number of requests in one transaction.
const maxBatch = 512

// maxKeptEvents is the capacity above which a batch drops its events
// buffer instead of keeping it for the next batch.
const maxKeptEvents = 4096

// errNoChange ends a request without writing anything and without an
// error for its caller.
var errNoChange = errors.New("nothing to write")

// errUnwritten marks the error of an unguarded request (see
// updateUnguarded) that ended before its first write.
var errUnwritten = errors.New("request ended before its first write")

// writeRequest is one caller's share of a batch.
type writeRequest struct {
	fn func(tx *storeTx) (publish func(), err error)
	// unguarded marks a request that runs without a savepoint.
	unguarded bool
	err       error
	seq       int64         // commitSeq of the batch's commit, set when it committed
	done      chan struct{} // closed after the batch committed or failed
	lead      chan struct{} // closed when this request's caller must run the next batch
}

// update runs fn in a shared write transaction and returns after that
// transaction committed and the publish function that fn returned ran.
// fn must use only tx for the store: the store has one connection, and
// the batch holds it. An error from fn rolls back fn's writes only.
func (e *Engine) update(fn func(tx *storeTx) (publish func(), err error)) error {
	_, err := e.updateSeq(fn)
	return err
}

// updateSeq is update that also returns the commit sequence number of the
// transaction that ran fn, or 0 when it did not commit.
func (e *Engine) updateSeq(fn func(tx *storeTx) (publish func(), err error)) (int64, error) {
	return e.enqueue(&writeRequest{fn: fn})
}

// updateUnguarded is updateSeq for a request that runs without its own
// savepoint, which saves two statements. fn must return an error that
// wraps errUnwritten when it fails before its first write. Any other error
// from fn rolls back the whole shared transaction and fails every request
// in it.
func (e *Engine) updateUnguarded(fn func(tx *storeTx) (publish func(), err error)) (int64, error) {
	return e.enqueue(&writeRequest{fn: fn, unguarded: true})
}

// enqueue queues req for the next batch and returns after that batch
// committed or failed.
func (e *Engine) enqueue(req *writeRequest) (int64, error) {
	req.done = make(chan struct{})
	req.lead = make(chan struct{})
	e.writeMu.Lock()
	e.writeQueue = append(e.writeQueue, req)
	leader := !e.writing
	e.writing = true
	e.writeMu.Unlock()
	if !leader {
		select {
		case <-req.done:
			return req.seq, req.err
		case <-req.lead:
		}
	}

	// The leader yields the processor once before it takes the queue, so
	// that callers that the last commit released, and that are still
	// computing their next requests, can queue them first. They then join
	// this batch instead of waiting for its commit and committing a batch
	// of their own.
	runtime.Gosched()

	e.writeMu.Lock()
	n := min(len(e.writeQueue), maxBatch)
	batch := make([]*writeRequest, n)
	copy(batch, e.writeQueue)
	e.writeQueue = append(e.writeQueue[:0], e.writeQueue[n:]...)
	e.writeMu.Unlock()

	e.runBatch(batch)
	if e.hasQueued() {
		// The batch used statements for the first time, which ran
		// unprepared. The connection is free now, so prepare them.
		if err := e.prepareQueued(context.Background()); err != nil {
			e.log.Warn("prepare statements", "error", err)
		}
	}

	e.writeMu.Lock()
	if len(e.writeQueue) > 0 {
		close(e.writeQueue[0].lead)
	} else {
		e.writing = false
	}
	e.writeMu.Unlock()
	return req.seq, req.err
}

// runBatch runs the requests in one transaction, commits it, publishes
// the events of the requests that succeeded and releases their callers.
func (e *Engine) runBatch(batch []*writeRequest) {
	// Statements run without the callers' contexts: cancelling a statement
	// interrupts SQLite, which rolls back the whole shared transaction.
	ctx := context.Background()
	publish := make([]func(), len(batch))
	err := e.runBatchTx(ctx, batch, publish)
	var seq int64
	if err == nil {
		seq = e.commitSeq.Add(1)
		e.checkpoints.notify()
	}
	for i, req := range batch {
		req.seq = seq
		if err != nil && req.err == nil {
			req.err = err
			publish[i] = nil
		}
	}
	for i, req := range batch {
		if req.err == nil && publish[i] != nil {
			publish[i]()
		}
		close(req.done)
	}
}

func (e *Engine) runBatchTx(ctx context.Context, batch []*writeRequest, publish []func()) error {
	tx, err := e.beginTx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx.events = e.batchEvents[:0]
	defer func() {
		// The buffer keeps no event details alive until the next batch.
		clear(tx.events)
		e.batchEvents = nil
		if cap(tx.events) <= maxKeptEvents {
			e.batchEvents = tx.events[:0]
		}
	}()
	for i, req := range batch {
		if req.unguarded {
			if err := runUnguarded(tx, req, &publish[i]); err != nil {
				tx.Rollback()
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT request`); err != nil {
			tx.Rollback()
			return fmt.Errorf("begin savepoint: %w", err)
		}
		mark := len(tx.events)
		publish[i], req.err = req.fn(tx)
		if req.err != nil {
			tx.events = tx.events[:mark]
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO request`); err != nil {
				tx.Rollback()
				return fmt.Errorf("roll back savepoint: %w", err)
			}
			if errors.Is(req.err, errNoChange) {
				req.err = nil
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE request`); err != nil {
			tx.Rollback()
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := e.insertEvents(ctx, tx, tx.events); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// runUnguarded runs an unguarded request in tx. It returns the request's
// error when the request may have written part of its rows, which the
// caller must then roll back with the whole transaction.
func runUnguarded(tx *storeTx, req *writeRequest, publish *func()) error {
	mark := len(tx.events)
	*publish, req.err = req.fn(tx)
	if req.err == nil {
		return nil
	}
	tx.events = tx.events[:mark]
	if !errors.Is(req.err, errUnwritten) {
		return req.err
	}
	return nil
}
