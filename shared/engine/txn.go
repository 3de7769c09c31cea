package engine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// txn is one request of a write transaction on one execution. Events
// appended in it are passed to OnEvent, and waiters are woken, only after
// the transaction commits.
type txn struct {
	e      *Engine
	ctx    context.Context
	tx     *storeTx
	now    time.Time
	exec   *execRow
	def    *stateMachine
	events []Event

	// execRead is exec as the request found it, which save checks.
	execRead execVersion

	// own is the cursor that a step advances. Its writes are deferred to
	// flush, so that a step of several transitions updates its row once.
	own      *cursor
	ownDirty bool // own changed since it was read or last written
	// ownDue is the due_at of own as stored, so that flush writes that
	// column only when it changed.
	ownDue *int64
	// ownPlain marks an own cursor whose stored row has the empty values
	// that hasPlainColumns checks, so that flush can leave them out.
	ownPlain bool
	// ownWritten marks a write of own that flush deferred because the
	// step runs outside the write transaction (see stepAhead). flush has
	// already incremented own's version for it.
	ownWritten bool
	// closePending marks an execution that closeExecution closed outside
	// the write transaction, whose endClose is still to run.
	closePending bool

	execInput any
	closed    bool    // the execution reached a terminal status
	newWork   bool    // some cursor became due
	cancelled []int64 // cursors whose running task functions to cancel
}

// transact runs fn on the execution name in the shared write transaction
// (see update), saves the execution row and returns after the commit.
// An error from fn, or errNoChange, discards fn's writes.
func (e *Engine) transact(ctx context.Context, name string, fn func(t *txn) error) error {
	return e.update(func(tx *storeTx) (func(), error) {
		t, err := e.loadTxn(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		if err := fn(t); err != nil {
			return nil, err
		}
		if err := t.save(); err != nil {
			return nil, err
		}
		return t.publish, nil
	})
}

// loadTxn loads the execution in a write transaction.
func (e *Engine) loadTxn(ctx context.Context, tx *storeTx, name string) (*txn, error) {
	x, err := loadExecution(context.WithoutCancel(ctx), tx, name)
	if err != nil {
		return nil, err
	}
	return e.newTxn(ctx, tx, x), nil
}

// newTxn starts a request on the execution row x, read in tx.
func (e *Engine) newTxn(ctx context.Context, tx *storeTx, x *execRow) *txn {
	// Statements must not be cancelled halfway (see runBatch).
	return &txn{e: e, ctx: context.WithoutCancel(ctx), tx: tx, now: e.clock.Now(), exec: x, execRead: x.version()}
}

// errDefinitionRead marks a store error while reading an execution's
// definition, which must not fail the execution as an invalid definition
// does.
var errDefinitionRead = errors.New("read definition")

// machine returns the execution's parsed definition. It reads and parses
// the stored text only when this engine has not parsed it yet.
func (t *txn) machine() (*stateMachine, error) {
	if t.def != nil {
		return t.def, nil
	}
	if len(t.exec.DefinitionHash) == sha256.Size {
		if def := t.e.cachedDefinition([sha256.Size]byte(t.exec.DefinitionHash)); def != nil {
			t.def = def
			return def, nil
		}
	}
	if t.tx.speculative {
		return nil, errSpeculative
	}
	var text string
	var err error
	if t.exec.DefinitionHash != nil {
		err = t.tx.QueryRowContext(t.ctx, `SELECT text FROM definitions WHERE hash = ?`, t.exec.DefinitionHash).Scan(&text)
	} else {
		err = t.tx.QueryRowContext(t.ctx, `SELECT definition FROM executions WHERE name = ?`, t.exec.Name).Scan(&text)
	}
	if err != nil {
		return nil, fmt.Errorf("%w of execution %q: %w", errDefinitionRead, t.exec.Name, err)
	}
	def, _, err := t.e.parsedDefinition(t.exec.Machine, text)
	if err != nil {
		return nil, fmt.Errorf("parse stored definition of execution %q: %w", t.exec.Name, err)
	}
	t.def = def
	return def, nil
}

// saveCursor writes c, or marks it for flush when it is the step's own
// cursor.
func (t *txn) saveCursor(c *cursor) error {
	if c == t.own {
		t.ownDirty = true
		return nil
	}
	return saveCursor(t.ctx, t.tx, c)
}

// setOwn makes c, as stored, the step's own cursor.
func (t *txn) setOwn(c *cursor) {
	t.own = c
	t.ownDue = copyTime(c.DueAt)
	t.ownPlain = c.hasPlainColumns()
}

func copyTime(t *int64) *int64 {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

// flush writes the step's own cursor if it changed. Call it before any
// statement that reads or writes that cursor's row, and before the
// request ends.
func (t *txn) flush() error {
	if !t.ownDirty {
		return nil
	}
	if t.tx.speculative {
		if t.ownWritten {
			return errSpeculative
		}
		t.ownDirty = false
		t.ownWritten = true
		t.own.Version++
		return nil
	}
	t.ownDirty = false
	return t.writeOwn()
}

// writeAhead writes what a step computed outside the write transaction
// left for it: the own cursor's deferred write of flush, or its changes
// since it was read.
func (t *txn) writeAhead() error {
	if !t.ownWritten {
		return t.flush()
	}
	t.ownWritten = false
	t.own.Version--
	return t.writeOwn()
}

// writeOwn writes the own cursor, with its due_at column only when that
// changed, and the columns that hasPlainColumns checks only when they are
// not empty in the stored row or in own.
func (t *txn) writeOwn() error {
	due := t.own.DueAt
	keepDue := (due == nil) == (t.ownDue == nil) && (due == nil || *due == *t.ownDue)
	plain := t.own.hasPlainColumns()
	if err := updateCursor(t.ctx, t.tx, t.own, !keepDue, plain && t.ownPlain); err != nil {
		return err
	}
	t.ownDue = copyTime(due)
	t.ownPlain = plain
	return nil
}

// save saves the execution row and hands the events to the transaction,
// which writes them before it commits.
func (t *txn) save() error {
	if t.exec.HistoryFull && t.exec.Status == StatusRunning {
		if err := t.closeExecution(StatusFailed, ErrorRuntime,
			fmt.Sprintf("the execution history reached the limit of %d events", t.e.maxEvents), nil); err != nil {
			return err
		}
	}
	return t.saveChecked(nil)
}

// saveChecked is save with the cursor check of saveExecution.
func (t *txn) saveChecked(check *cursorCheck) error {
	if err := saveExecution(t.ctx, t.tx, t.exec, t.execRead, check); err != nil {
		return err
	}
	t.tx.events = append(t.tx.events, t.events...)
	return nil
}

// publish passes the committed events to OnEvent, cancels the task
// functions of cancelled cursors and wakes waiters and the Run loop. It
// releases the request's events, so it runs once, after the commit.
func (t *txn) publish() {
	if t.e.onEvent != nil {
		for _, ev := range t.events {
			t.e.onEvent(ev)
		}
	}
	t.releaseEvents()
	if len(t.cancelled) > 0 {
		t.e.mu.Lock()
		for _, id := range t.cancelled {
			if cancel := t.e.running[id]; cancel != nil {
				cancel()
			}
		}
		t.e.mu.Unlock()
	}
	if t.closed {
		t.e.notifyChanged()
	}
	if t.newWork {
		t.e.notifyWork()
	}
}

// terminalEvents close an execution; they are written even when the
// history is full.
var terminalEvents = map[string]bool{
	"ExecutionSucceeded": true, "ExecutionFailed": true, "ExecutionTimedOut": true, "ExecutionAborted": true,
}

// emit appends a history event. details is encoded as a JSON object.
func (t *txn) emit(typ, stateName string, details map[string]any) error {
	if t.historyClosed(typ) {
		return nil
	}
	if details == nil {
		details = map[string]any{}
	}
	raw, ok := appendFast(make([]byte, 0, detailsSize(details)), details, 0)
	if !ok {
		var err error
		if raw, err = encodeJSON(details); err != nil {
			return fmt.Errorf("encode %s event: %w", typ, err)
		}
	}
	t.appendEvent(typ, stateName, raw)
	return nil
}

// detailsSize estimates the size of the encoded details, so that emit
// allocates their buffer once in the usual case. Values of other types
// than text are counted at 16 bytes.
func detailsSize(details map[string]any) int {
	size := 2
	for key, value := range details {
		size += len(key) + 4
		switch v := value.(type) {
		case json.RawMessage:
			size += len(v)
		case string:
			size += len(v) + 2
		default:
			size += 16
		}
	}
	return size
}

// emitState appends a StateEntered event (key "input") or StateExited
// event (key "output") of the state named name. Its details are the same
// as emit writes for {"name": name, key: raw(value)}, without a map.
func (t *txn) emitState(typ, name, key string, value json.RawMessage) error {
	return t.emitStateValue(typ, name, key, value, false)
}

// emitEncodedState is emitState for a value that encodeJSON wrote, which
// is compact already, so that the value is copied without a check.
func (t *txn) emitEncodedState(typ, name, key string, value json.RawMessage) error {
	return t.emitStateValue(typ, name, key, value, true)
}

func (t *txn) emitStateValue(typ, name, key string, value json.RawMessage, encoded bool) error {
	if t.historyClosed(typ) {
		return nil
	}
	// The size fits the details unless the name needs escaping.
	details := make([]byte, 0, len(`{"name":"","output":}`)+len(name)+len(value))
	details = append(details, '{')
	if key == "output" {
		details = appendString(append(details, `"name":`...), name)
		details = append(details, `,"output":`...)
	} else {
		details = append(details, `"input":`...)
	}
	if encoded && len(value) > 0 {
		details = append(details, value...)
	} else {
		var ok bool
		if details, ok = appendRaw(details, raw(value)); !ok {
			return t.emit(typ, name, map[string]any{"name": name, key: raw(value)})
		}
	}
	if key != "output" {
		details = appendString(append(details, `,"name":`...), name)
	}
	t.appendEvent(typ, name, append(details, '}'))
	return nil
}

// historyClosed reports whether an event of type typ is left out because
// the history is full, and marks the history full when it reaches the
// limit. Terminal events are always written.
func (t *txn) historyClosed(typ string) bool {
	if t.exec.HistoryFull && !terminalEvents[typ] {
		return true
	}
	if t.exec.EventCount >= t.e.maxEvents-1 && !terminalEvents[typ] {
		t.exec.HistoryFull = true
		return true
	}
	return false
}

// appendEvent appends a history event with encoded details.
func (t *txn) appendEvent(typ, stateName string, raw json.RawMessage) {
	t.exec.EventCount++
	ev := Event{
		ID:        t.exec.EventCount,
		Execution: t.exec.Name,
		Type:      typ,
		State:     stateName,
		Timestamp: t.now.UTC(),
		Details:   raw,
	}
	if t.events == nil {
		t.events = newEventBuffer()
	}
	t.events = append(t.events, ev)
}

// eventBuffers is a pool of the event slices of published requests, for
// the requests that follow.
var eventBuffers sync.Pool

// maxPooledEvents is the capacity above which an event slice is dropped
// instead of pooled.
const maxPooledEvents = 64

// newEventBuffer returns an empty event slice from eventBuffers, or a new
// one with room for 16 events. A step from one Task state through a
// Choice and a Pass state to the next Task state appends 9.
func newEventBuffer() []Event {
	if buf, ok := eventBuffers.Get().(*[]Event); ok {
		return *buf
	}
	return make([]Event, 0, 16)
}

// releaseEvents returns the request's event slice to eventBuffers. Call
// it only when nothing reads t.events any more.
func (t *txn) releaseEvents() {
	events := t.events
	t.events = nil
	if cap(events) == 0 || cap(events) > maxPooledEvents {
		return
	}
	// The pooled slice must not keep the event details alive.
	clear(events)
	events = events[:0]
	eventBuffers.Put(&events)
}

// raw wraps JSON text so that it is embedded in event details as a value.
func raw(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}

// closeExecution gives the execution a terminal status, appends the
// matching event and cancels every cursor that is still active.
func (t *txn) closeExecution(status, errName, cause string, output json.RawMessage) error {
	t.exec.Status = status
	t.exec.Output = output
	errName = truncateChars(errName, MaxErrorChars)
	cause = truncateChars(cause, MaxCauseChars)
	t.exec.Error = errName
	t.exec.Cause = cause
	t.exec.StoppedAt = t.now.UnixNano()
	t.closed = true
	var err error
	switch status {
	case StatusSucceeded:
		err = t.emit("ExecutionSucceeded", "", map[string]any{"output": raw(output)})
	case StatusFailed:
		err = t.emit("ExecutionFailed", "", map[string]any{"error": errName, "cause": cause})
	case StatusTimedOut:
		err = t.emit("ExecutionTimedOut", "", map[string]any{"error": errName, "cause": cause})
	case StatusAborted:
		err = t.emit("ExecutionAborted", "", map[string]any{"error": errName, "cause": cause})
	}
	if err != nil {
		return err
	}
	if t.tx.speculative {
		// stepAhead calls endClose in the write transaction.
		t.closePending = true
		return nil
	}
	return t.endClose()
}

// endClose cancels every cursor of a closed execution that is still
// active, and logs the end of the execution.
func (t *txn) endClose() error {
	if err := t.cancelWhere(`execution = ?`, t.exec.Name); err != nil {
		return err
	}
	level := "execution succeeded"
	if t.exec.Status != StatusSucceeded {
		level = "execution stopped"
	}
	t.e.log.Info(level, "execution", t.exec.Name, "machine", t.exec.Machine, "status", t.exec.Status,
		"error", t.exec.Error)
	return nil
}

// cancelWhere cancels the active cursors that match a condition and closes
// their pending task tokens. Queued Map iterations stay queued.
func (t *txn) cancelWhere(where string, args ...any) error {
	if err := t.flush(); err != nil {
		return err
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id FROM cursors WHERE `+where+`
		AND phase NOT IN ('done', 'failed', 'cancelled', 'queued')`, args...)
	if err != nil {
		return fmt.Errorf("find cursors to cancel: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("find cursors to cancel: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE cursors SET phase = 'cancelled', due_at = NULL,
			version = version + 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("cancel cursor %d: %w", id, err)
		}
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE tokens SET status = 'closed'
			WHERE cursor = ? AND status = 'pending'`, id); err != nil {
			return fmt.Errorf("close tokens of cursor %d: %w", id, err)
		}
	}
	t.cancelled = append(t.cancelled, ids...)
	return nil
}

// descendants returns the IDs of every cursor below parent.
func (t *txn) descendants(parent int64) ([]int64, error) {
	var out []int64
	queue := []int64{parent}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		rows, err := t.tx.QueryContext(t.ctx, `SELECT id FROM cursors WHERE parent = ?`, id)
		if err != nil {
			return nil, fmt.Errorf("list children of cursor %d: %w", id, err)
		}
		for rows.Next() {
			var child int64
			if err := rows.Scan(&child); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, child)
			queue = append(queue, child)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deleteChildren removes every cursor below parent, for a Parallel or Map
// state that is left or retried.
func (t *txn) deleteChildren(parent int64) error {
	ids, err := t.descendants(parent)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM cursors WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete cursor %d: %w", id, err)
		}
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE tokens SET status = 'closed'
			WHERE cursor = ? AND status = 'pending'`, id); err != nil {
			return fmt.Errorf("close tokens of cursor %d: %w", id, err)
		}
	}
	t.cancelled = append(t.cancelled, ids...)
	return nil
}

// wakeParent makes a Parallel or Map cursor check its children.
func (t *txn) wakeParent(parent int64) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE cursors SET due_at = 0 WHERE id = ? AND phase = 'children'`, parent)
	if err != nil {
		return fmt.Errorf("wake cursor %d: %w", parent, err)
	}
	t.newWork = true
	return nil
}

// executionInput returns the decoded execution input for the context
// object.
func (t *txn) executionInput() any {
	if t.execInput == nil {
		v, err := decodeJSON(t.exec.Input)
		if err != nil {
			v = newObject(0)
		}
		t.execInput = v
	}
	return t.execInput
}

// isStale reports whether err means the step must be dropped.
func isStale(err error) bool { return errors.Is(err, errStale) }
