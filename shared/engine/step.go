package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// taskCall is a task function to run: its cursor as committed with the
// TaskStarted event, and its state. exec is the execution row as the
// same request committed it.
type taskCall struct {
	c    *cursor
	s    *state
	exec *execRow
}

// taskResult is what a task function returned.
type taskResult struct {
	call   *taskCall
	output json.RawMessage
	err    error
}

// maxChainSteps is the maximum number of transitions that one request of
// step makes on a cursor, so that a loop of Pass and Choice states cannot
// keep the shared transaction open for long.
const maxChainSteps = 100

// step advances one due cursor in one request of the shared write
// transaction: it applies result, the outcome of the cursor's task
// function, when set, and then makes every transition that leaves the
// cursor due at once, such as Pass, Choice and the entry of a Task state.
// Re-running these after a crash is deterministic, so they need no commit
// of their own. It stops at a task function to call, which it returns
// after the TaskStarted event committed (unless startTask is false), at a
// timer or token wait, and at the end of the cursor. It also returns when
// the cursor is due next, or the zero time when it has nothing to do, and
// the commit sequence number of its transaction. With rows, the cursor and
// execution rows as the last request committed them, step tries
// stepAhead first.
func (e *Engine) step(ctx context.Context, id int64, rows *stepRows, result *taskResult, startTask bool) (stepOutcome, error) {
	if rows != nil {
		out, err := e.stepAhead(ctx, rows, result, startTask)
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, errSpeculative):
		case isStale(err):
			// The rows changed since they were committed, so read them.
			rows = nil
		default:
			return out, err
		}
	}
	out, err := e.stepOnce(ctx, id, rows, result, startTask)
	if rows != nil && isStale(err) {
		out, err = e.stepOnce(ctx, id, nil, result, startTask)
	}
	if isStale(err) {
		return stepOutcome{seq: out.seq}, nil
	}
	return out, err
}

// stepRows is a cursor row and its execution row as the last request that
// wrote them committed them, for a step that skips reading them.
type stepRows struct {
	c    *cursor
	exec *execRow
}

// clone returns copies of the rows, which a request may change.
func (r *stepRows) clone() (*cursor, *execRow) {
	c := *r.c
	c.Retries = slices.Clone(c.Retries)
	x := *r.exec
	return &c, &x
}

// rows returns the rows that the call's TaskStarted request committed, or
// nil when the call does not carry them.
func (call *taskCall) rows() *stepRows {
	if call.exec == nil {
		return nil
	}
	return &stepRows{c: call.c, exec: call.exec}
}

// errSpeculative ends stepAhead's work outside the write transaction
// when the step needs the store, so that the step runs in the
// transaction instead.
var errSpeculative = errors.New("step needs the store")

// stepAhead makes a step's transitions on rows that an earlier request
// committed, before it joins the shared write transaction. The rows are
// those of the request that started the task whose outcome result is, or
// those that Start committed for a new execution. The batch then only
// writes the rows and events, after the version check of the cursor row
// and the check of saveExecution. So the work of the transitions runs in
// parallel with the batches of other steps. It returns errSpeculative
// for a step that needs the store (a task token, a Parallel or Map state,
// a failed execution and others), and errStale when either row changed
// since it was committed.
func (e *Engine) stepAhead(ctx context.Context, rows *stepRows, result *taskResult, startTask bool) (stepOutcome, error) {
	loaded, x := rows.clone()
	check := &cursorCheck{id: loaded.ID, version: loaded.Version}
	t := e.newTxn(ctx, &storeTx{e: e, speculative: true}, x)
	t.setOwn(loaded)
	c, call, err := t.advanceChain(loaded, result, startTask)
	if err != nil {
		return stepOutcome{}, errSpeculative
	}
	if t.ownWritten && t.ownDirty {
		// The cursor row would be written twice.
		return stepOutcome{}, errSpeculative
	}
	if t.exec.HistoryFull && t.exec.Status == StatusRunning {
		return stepOutcome{}, errSpeculative
	}
	seq, err := e.updateUnguarded(func(tx *storeTx) (func(), error) {
		t.tx = tx
		// The first statement checks both rows, so a stale row ends the
		// request before it wrote anything. The cursor row cannot change
		// between the two statements.
		if err := t.saveChecked(check); err != nil {
			if isStale(err) {
				return nil, fmt.Errorf("%w: %w", errUnwritten, err)
			}
			return nil, err
		}
		if err := t.writeAhead(); err != nil {
			return nil, err
		}
		if t.closePending {
			// After save, so that a stale row ends the request before
			// endClose logs the end of the execution.
			if err := t.endClose(); err != nil {
				return nil, err
			}
		}
		t.keepCommitted(call)
		return t.publish, nil
	})
	return newStepOutcome(c, call, seq, err)
}

// stepOnce is one attempt of step in the write transaction. With rows it
// skips reading the cursor and execution rows. The version check of the
// cursor row and the check of saveExecution then return errStale when
// another request or process wrote either row since.
func (e *Engine) stepOnce(ctx context.Context, id int64, rows *stepRows, result *taskResult, startTask bool) (stepOutcome, error) {
	var c *cursor
	var call *taskCall
	seq, err := e.updateSeq(func(tx *storeTx) (func(), error) {
		c, call = nil, nil
		var loaded *cursor
		var x *execRow
		if rows != nil {
			loaded, x = rows.clone()
		} else {
			var err error
			loaded, x, err = loadCursorExecution(context.WithoutCancel(ctx), tx, id)
			if err != nil {
				return nil, err
			}
		}
		t := e.newTxn(ctx, tx, x)
		t.setOwn(loaded)
		var err error
		c, call, err = t.advanceChain(loaded, result, startTask)
		if errors.Is(err, errNotDue) {
			return nil, errNoChange
		}
		if err != nil {
			return nil, err
		}
		if err := t.flush(); err != nil {
			return nil, err
		}
		if err := t.save(); err != nil {
			return nil, err
		}
		t.keepCommitted(call)
		return t.publish, nil
	})
	return newStepOutcome(c, call, seq, err)
}

// stepOutcome is the result of a step.
type stepOutcome struct {
	due  time.Time // when the cursor has work next, or zero
	call *taskCall // the task function to call, or nil
	seq  int64     // commit sequence number of the step's transaction
}

// keepCommitted gives call, when not nil, a copy of the execution row as
// the step's transaction commits it, so that the step after the task can
// skip reading the row.
func (t *txn) keepCommitted(call *taskCall) {
	if call != nil {
		committed := *t.exec
		call.exec = &committed
	}
}

// newStepOutcome returns the outcome of a step that ended its transaction
// with commit sequence number seq and error err, on cursor c.
func newStepOutcome(c *cursor, call *taskCall, seq int64, err error) (stepOutcome, error) {
	if err != nil {
		return stepOutcome{seq: seq}, err
	}
	return stepOutcome{due: c.due(), call: call, seq: seq}, nil
}

// errNotDue ends a step on a cursor whose work is not due yet. Run can
// launch a chain for such a cursor when Start hands over an execution
// that a read of the store has already advanced to a timer or retry.
var errNotDue = errors.New("cursor not due")

// advanceChain is the body of step, on the cursor c as read in the same
// request.
func (t *txn) advanceChain(c *cursor, result *taskResult, startTask bool) (*cursor, *taskCall, error) {
	var s *state
	var err error
	if result != nil {
		// The task's cursor must be as the call left it: Stop, a timeout
		// or a failed sibling may have changed it in the meantime.
		if c.Version != result.call.c.Version || c.Phase != phaseTask || t.exec.Status != StatusRunning {
			return nil, nil, errStale
		}
		s = result.call.s
		if err := t.taskDone(c, s, result.output, result.err); err != nil {
			return nil, nil, err
		}
	} else {
		if t.exec.Status == StatusRunning && c.DueAt != nil && *c.DueAt > t.now.UnixNano() {
			return c, nil, errNotDue
		}
		s, err = t.load(c)
		if err != nil || s == nil {
			return c, nil, err
		}
		if c.Phase != phaseTask {
			if err := t.advance(c, s); err != nil {
				return nil, nil, err
			}
		}
	}

	for range maxChainSteps {
		if t.closed || t.exec.Status != StatusRunning || c.DueAt == nil || *c.DueAt > t.now.UnixNano() {
			break
		}
		if s, err = t.stateOf(c); err != nil || s == nil {
			return c, nil, err
		}
		if c.Phase == phaseTask {
			if !startTask {
				break
			}
			if err := t.startTask(c, s); err != nil {
				return nil, nil, err
			}
			// The call must carry the version that the request commits.
			if err := t.flush(); err != nil {
				return nil, nil, err
			}
			started := *c
			return c, &taskCall{c: &started, s: s}, nil
		}
		if err := t.advance(c, s); err != nil {
			return nil, nil, err
		}
	}
	return c, nil, nil
}

// due returns when the cursor has work next, or the zero time.
func (c *cursor) due() time.Time {
	if c == nil || c.DueAt == nil {
		return time.Time{}
	}
	return time.Unix(0, *c.DueAt)
}

// load returns the state that a cursor is in. When the cursor has nothing
// to do because its execution is closed, load parks it and returns a nil
// state.
func (t *txn) load(c *cursor) (*state, error) {
	if t.exec.Status != StatusRunning || c.DueAt == nil {
		c.DueAt = nil
		return nil, t.saveCursor(c)
	}
	return t.stateOf(c)
}

// stateOf returns the state that a cursor is in. A state missing from the
// definition fails the execution and returns a nil state.
func (t *txn) stateOf(c *cursor) (*state, error) {
	sm, err := t.machine()
	if errors.Is(err, errDefinitionRead) {
		return nil, err
	}
	if err != nil {
		return nil, t.closeExecution(StatusFailed, ErrorRuntime, err.Error(), nil)
	}
	scope, err := sm.lookup(c.Scope)
	if err == nil && scope.States[c.State] == nil {
		err = fmt.Errorf("state %q not found in the definition", c.State)
	}
	if err != nil {
		return nil, t.closeExecution(StatusFailed, ErrorRuntime, err.Error(), nil)
	}
	return scope.States[c.State], nil
}

func (t *txn) advance(c *cursor, s *state) error {
	switch c.Phase {
	case phaseEnter:
		return t.enter(c, s)
	case phaseRetry:
		if s.Type == typeTask {
			input, err := decodeJSON(c.Input)
			if err != nil {
				return t.fail(c, s, newStateError(ErrorRuntime, "state input: %v", err))
			}
			return t.schedule(c, s, input)
		}
		return t.startChildren(c, s)
	case phaseWait:
		output, err := decodeJSON(c.Effective)
		if err != nil {
			return t.fail(c, s, newStateError(ErrorRuntime, "%v", err))
		}
		return t.exit(c, s, output, s.Next)
	case phaseToken:
		return t.checkToken(c, s)
	case phaseChildren:
		return t.checkChildren(c, s)
	}
	c.DueAt = nil
	return t.saveCursor(c)
}

// enter runs the entry of a state: the StateEntered event, then whatever
// the state type does first.
func (t *txn) enter(c *cursor, s *state) error {
	c.EnteredAt = t.now.UnixNano()
	c.Retries = nil
	c.RetryCount = 0
	c.Token = ""
	c.Effective = nil
	emitEntered := t.emitState
	if c.inputEncoded {
		emitEntered = t.emitEncodedState
	}
	if err := emitEntered(s.Type+"StateEntered", s.Name, "input", c.Input); err != nil {
		return err
	}
	if err := checkSize(c.Input, "input of state "+s.Name); err != nil {
		return t.fail(c, s, err)
	}
	if output, ok := passOutput(c, s); ok {
		return t.exitEncoded(c, s, output, s.Next)
	}
	input, err := stateInput(c, s)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "state input: %v", err))
	}

	switch s.Type {
	case typeTask:
		return t.schedule(c, s, input)
	case typeParallel, typeMap:
		return t.startChildren(c, s)
	case typePass:
		return t.pass(c, s, input)
	case typeChoice:
		return t.choice(c, s, input)
	case typeWait:
		return t.wait(c, s, input)
	case typeSucceed:
		effective, err := t.inputPath(c, s, input)
		if err != nil {
			return t.fail(c, s, err)
		}
		output, err := applyOutputPath(s.OutputPath, effective)
		if err != nil {
			return t.fail(c, s, err)
		}
		return t.exit(c, s, output, "")
	case typeFail:
		return t.failState(c, s, input)
	}
	return t.fail(c, s, newStateError(ErrorRuntime, "unknown state type %q", s.Type))
}

func (t *txn) pass(c *cursor, s *state, input any) error {
	effective, err := t.inputPath(c, s, input)
	if err != nil {
		return t.fail(c, s, err)
	}
	if s.Parameters != nil {
		if effective, err = s.Parameters.eval(effective, t.templateContext(c, s, s.Parameters)); err != nil {
			return t.fail(c, s, err)
		}
	}
	if s.HasResult {
		if output, ok := splicedOutput(c, s, s.Result); ok {
			return t.exitEncoded(c, s, output, s.Next)
		}
		// The fixed Result shares nothing with input, so ResultPath can
		// place it into input itself instead of into a copy. A Pass
		// state has no ResultSelector.
		return t.placeResult(c, s, s.Result, input)
	}
	return t.result(c, s, effective)
}

func (t *txn) choice(c *cursor, s *state, input any) error {
	effective, err := t.inputPath(c, s, input)
	if err != nil {
		return t.fail(c, s, err)
	}
	var ctxObj any
	for _, rule := range s.Choices {
		if rule.usesContext() {
			ctxObj = t.contextObject(c, s)
			break
		}
	}
	next, err := s.choose(effective, ctxObj)
	if err != nil {
		return t.fail(c, s, err)
	}
	if c.inputEncoded && s.InputPath.path == nil && !s.InputPath.null &&
		s.OutputPath.path == nil && !s.OutputPath.null {
		// The output is the input, whose text encodeJSON wrote.
		return t.exitEncoded(c, s, c.Input, next)
	}
	output, err := applyOutputPath(s.OutputPath, effective)
	if err != nil {
		return t.fail(c, s, err)
	}
	return t.exit(c, s, output, next)
}

func (t *txn) wait(c *cursor, s *state, input any) error {
	effective, err := t.inputPath(c, s, input)
	if err != nil {
		return t.fail(c, s, err)
	}
	var due time.Time
	switch {
	case s.Seconds != nil:
		due = t.now.Add(time.Duration(*s.Seconds) * time.Second)
	case s.Timestamp != nil:
		due = *s.Timestamp
	case s.SecondsPath != nil:
		// NOTE: the Wait state page states the maximum 99999999 for
		// Seconds only, so the value at SecondsPath has no maximum here.
		v, err := s.SecondsPath.Get(t.pathDocument(s.SecondsPath, c, s, effective))
		n, ok := integerArg(v)
		if err != nil || !ok || n < 0 {
			return t.fail(c, s, newStateError(ErrorRuntime,
				"SecondsPath %s must point to a non-negative integer", s.SecondsPath))
		}
		due = t.now.Add(time.Duration(n) * time.Second)
	case s.TimestampPath != nil:
		v, err := s.TimestampPath.Get(t.pathDocument(s.TimestampPath, c, s, effective))
		str, _ := v.(string)
		ts, perr := parseTimestamp(str)
		if err != nil || perr != nil {
			return t.fail(c, s, newStateError(ErrorRuntime,
				"TimestampPath %s must point to an RFC 3339 timestamp", s.TimestampPath))
		}
		due = ts
	}
	output, err := applyOutputPath(s.OutputPath, effective)
	if err != nil {
		return t.fail(c, s, err)
	}
	c.Effective, err = encodeJSON(output)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "%v", err))
	}
	c.Phase = phaseWait
	dueAt := due.UnixNano()
	c.DueAt = &dueAt
	t.newWork = true
	return t.saveCursor(c)
}

func (t *txn) failState(c *cursor, s *state, input any) error {
	errName, cause := s.Error, s.Cause
	ctxObj := t.contextObject(c, s)
	if s.ErrorPath != nil {
		v, err := s.ErrorPath.eval(input, ctxObj)
		str, ok := v.(string)
		if err != nil || !ok {
			return t.fail(c, s, newStateError(ErrorRuntime, "ErrorPath must produce a string"))
		}
		errName = str
	}
	if s.CausePath != nil {
		v, err := s.CausePath.eval(input, ctxObj)
		str, ok := v.(string)
		if err != nil || !ok {
			return t.fail(c, s, newStateError(ErrorRuntime, "CausePath must produce a string"))
		}
		cause = str
	}
	return t.failCursor(c, s, &stateError{Name: errName, Cause: cause})
}

// result applies ResultSelector, ResultPath and OutputPath to the result of
// a Task, Parallel, Map or Pass state and leaves the state.
func (t *txn) result(c *cursor, s *state, result any) error {
	var err error
	if s.ResultSelector != nil {
		if result, err = s.ResultSelector.eval(result, t.templateContext(c, s, s.ResultSelector)); err != nil {
			return t.fail(c, s, err)
		}
	}
	if output, ok := splicedOutput(c, s, result); ok {
		return t.exitEncoded(c, s, output, s.Next)
	}
	// ResultPath changes the input in place, and result may share values
	// with the input that the state decoded, so it gets a fresh copy.
	input, err := decodeJSON(c.Input)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "state input: %v", err))
	}
	return t.placeResult(c, s, result, input)
}

// placeResult applies ResultPath and OutputPath and leaves the state. It
// changes input.
func (t *txn) placeResult(c *cursor, s *state, result, input any) error {
	output, err := applyResultPath(s.ResultPath, input, result)
	if err != nil {
		return t.fail(c, s, err)
	}
	if output, err = applyOutputPath(s.OutputPath, output); err != nil {
		return t.fail(c, s, err)
	}
	return t.exit(c, s, output, s.Next)
}

// exit leaves a state with its output for the state named next or, when
// next is empty, ends the cursor.
func (t *txn) exit(c *cursor, s *state, output any, next string) error {
	encoded, err := encodeJSON(output)
	if err != nil {
		return t.failCursor(c, s, newStateError(ErrorRuntime, "%v", err))
	}
	return t.exitEncoded(c, s, encoded, next)
}

// exitEncoded is exit with the output as encodeJSON encodes it.
func (t *txn) exitEncoded(c *cursor, s *state, encoded json.RawMessage, next string) error {
	if err := checkSize(encoded, "output of state "+s.Name); err != nil {
		return t.fail(c, s, err)
	}
	if err := t.emitEncodedState(s.Type+"StateExited", s.Name, "output", encoded); err != nil {
		return err
	}
	if s.Type == typeParallel || s.Type == typeMap {
		if err := t.deleteChildren(c.ID); err != nil {
			return err
		}
	}
	if next == "" {
		return t.finish(c, encoded)
	}
	c.State = next
	c.Input = encoded
	c.inputEncoded = true
	c.Phase = phaseEnter
	c.Effective = nil
	c.Token = ""
	c.Error, c.Cause = "", ""
	zero := int64(0)
	c.DueAt = &zero
	return t.saveCursor(c)
}

// finish ends a cursor with an output: the execution succeeds, or a
// Parallel branch or Map iteration is done.
func (t *txn) finish(c *cursor, output []byte) error {
	c.Phase = phaseDone
	c.Output = output
	c.DueAt = nil
	if err := t.saveCursor(c); err != nil {
		return err
	}
	if c.Parent == 0 {
		return t.closeExecution(StatusSucceeded, "", "", output)
	}
	if mapState, ok := c.mapState(); ok {
		if err := t.emit("MapIterationSucceeded", mapState, map[string]any{"name": mapState, "index": c.Branch}); err != nil {
			return err
		}
	}
	return t.wakeParent(c.Parent)
}

// mapState returns the name of the Map state that c is an iteration of.
func (c *cursor) mapState() (string, bool) {
	if len(c.Scope) == 0 || c.Scope[len(c.Scope)-1].Branch != -1 {
		return "", false
	}
	return c.Scope[len(c.Scope)-1].State, true
}

// fail handles an error raised in state s: Retry, then Catch, then failing
// the cursor. Only Task, Parallel and Map states have Retry and Catch, and
// States.Runtime is never retried or caught.
func (t *txn) fail(c *cursor, s *state, err error) error {
	if isStale(err) {
		return err
	}
	se := asStateError(err).limited()
	if se.Name == ErrorRuntime {
		return t.failCursor(c, s, se)
	}
	for i, r := range s.Retry {
		if !errorMatches(r.ErrorEquals, se.Name) {
			continue
		}
		for len(c.Retries) < len(s.Retry) {
			c.Retries = append(c.Retries, 0)
		}
		if c.Retries[i] >= r.MaxAttempts {
			break
		}
		delay := retryDelay(r, c.Retries[i])
		c.Retries[i]++
		c.RetryCount++
		c.Phase = phaseRetry
		c.Error, c.Cause = se.Name, se.Cause
		due := t.now.Add(delay).UnixNano()
		c.DueAt = &due
		t.newWork = true
		if t.tx.speculative {
			// Log the retry only in the step that commits it.
			return errSpeculative
		}
		t.e.log.Warn("retrying state", "execution", t.exec.Name, "state", s.Name, "error", se.Name,
			"attempt", c.Retries[i], "delay", delay.Round(time.Millisecond).String())
		return t.saveCursor(c)
	}
	for _, k := range s.Catch {
		if !errorMatches(k.ErrorEquals, se.Name) {
			continue
		}
		input, err := decodeJSON(c.Input)
		if err != nil {
			return t.failCursor(c, s, newStateError(ErrorRuntime, "state input: %v", err))
		}
		output, err := applyResultPath(k.ResultPath, input, objectOf("Error", se.Name, "Cause", se.Cause))
		if err != nil {
			return t.failCursor(c, s, asStateError(err))
		}
		return t.exit(c, s, output, k.Next)
	}
	return t.failCursor(c, s, se)
}

// retryDelay is IntervalSeconds × BackoffRate^attempt, capped by
// MaxDelaySeconds, and with FULL jitter a random share of that.
func retryDelay(r retrier, attempt int) time.Duration {
	seconds := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(attempt))
	if r.MaxDelaySeconds > 0 && seconds > float64(r.MaxDelaySeconds) {
		seconds = float64(r.MaxDelaySeconds)
	}
	if r.JitterFull {
		seconds *= rand.Float64()
	}
	return time.Duration(seconds * float64(time.Second))
}

// failCursor ends a cursor with an error: the execution fails, or the
// enclosing Parallel or Map state is woken to handle it.
func (t *txn) failCursor(c *cursor, s *state, se *stateError) error {
	se = se.limited()
	c.Phase = phaseFailed
	c.Error, c.Cause = se.Name, se.Cause
	c.DueAt = nil
	if err := t.saveCursor(c); err != nil {
		return err
	}
	if c.Parent == 0 {
		if t.tx.speculative {
			return errSpeculative
		}
		t.e.log.Warn("execution failed", "execution", t.exec.Name, "state", s.Name, "error", se.Name)
		return t.closeExecution(StatusFailed, se.Name, se.Cause, nil)
	}
	if mapState, ok := c.mapState(); ok {
		if err := t.emit("MapIterationFailed", mapState, map[string]any{
			"name": mapState, "index": c.Branch, "error": se.Name, "cause": se.Cause,
		}); err != nil {
			return err
		}
	}
	return t.wakeParent(c.Parent)
}

// inputPath applies InputPath; a path with no match is States.Runtime.
func (t *txn) inputPath(c *cursor, s *state, input any) (any, error) {
	dp := s.InputPath
	switch {
	case dp.null:
		return newObject(0), nil
	case dp.path == nil:
		return input, nil
	}
	doc := input
	if dp.path.IsContext() {
		doc = t.contextObject(c, s)
	}
	v, err := dp.path.Get(doc)
	if err != nil {
		return nil, newStateError(ErrorRuntime, "invalid InputPath %s: no match in the state input", dp.path)
	}
	return v, nil
}

// applyResultPath places result into the state input. A null ResultPath
// discards the result and an absent one replaces the input.
func applyResultPath(dp dataPath, input, result any) (any, error) {
	switch {
	case dp.null:
		return input, nil
	case dp.path == nil:
		return result, nil
	}
	out, err := dp.path.Set(input, result)
	if err != nil {
		return nil, newStateError(ErrorResultPathMatchFailure, "ResultPath %s cannot be applied to the state input: %v", dp.path, err)
	}
	return out, nil
}

// applyOutputPath selects the state output; a null OutputPath gives {}.
func applyOutputPath(dp dataPath, v any) (any, error) {
	switch {
	case dp.null:
		return newObject(0), nil
	case dp.path == nil:
		return v, nil
	}
	out, err := dp.path.Get(v)
	if err != nil {
		return nil, newStateError(ErrorRuntime, "invalid OutputPath %s: no match in the state output", dp.path)
	}
	return out, nil
}

// templateContext returns the context object for evaluating tmpl, or nil
// when tmpl does not read it, so that most states skip building it.
func (t *txn) templateContext(c *cursor, s *state, tmpl *template) any {
	if !tmpl.usesContext {
		return nil
	}
	return t.contextObject(c, s)
}

// contextObject builds the context object ($$) for a state, with its
// members in the order that the Step Functions documentation lists them.
func (t *txn) contextObject(c *cursor, s *state) *jsonObject {
	obj := objectOf(
		"Execution", objectOf(
			"Id", t.e.executionARN(t.exec.Machine, t.exec.Name),
			"Input", t.executionInput(),
			"Name", t.exec.Name,
			"StartTime", timestampText(time.Unix(0, t.exec.StartedAt)),
			"RedriveCount", t.exec.RedriveCount,
		),
		"State", objectOf(
			"EnteredTime", timestampText(time.Unix(0, c.EnteredAt)),
			"Name", s.Name,
			"RetryCount", c.RetryCount,
		),
		"StateMachine", objectOf(
			"Id", t.e.machineARN(t.exec.Machine),
			"Name", t.exec.Machine,
		),
	)
	if c.Token != "" {
		obj.Set("Task", objectOf("Token", c.Token))
	}
	return obj
}
