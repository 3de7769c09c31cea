package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// A task outcome is applied to the execution row that its TaskStarted
// request committed, unless another request wrote that row since. Here
// branch A records its outcome while the task of branch B runs, so the
// row that B's task started with is out of date, and B's outcome must be
// applied to the row as stored.
func TestStepRereadsExecutionChangedBySibling(t *testing.T) {
	aDone := make(chan struct{})
	var aCalls, bCalls atomic.Int32
	taskA := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		aCalls.Add(1)
		return json.RawMessage(`"a"`), nil
	}
	taskB := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		bCalls.Add(1)
		select {
		case <-aDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`"b"`), nil
	}
	var aClosed atomic.Bool
	onEvent := func(ev Event) {
		if ev.Type == "TaskSucceeded" && ev.State == "A" && aClosed.CompareAndSwap(false, true) {
			close(aDone)
		}
	}
	definition := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"a","Next":"A2"},"A2":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"b","Next":"B2"},"B2":{"Type":"Pass","End":true}}}]}}}`
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), definition,
		map[string]TaskFunc{"a": taskA, "b": taskB}, Options{PollInterval: testPoll, OnEvent: onEvent})
	runEngine(t, e)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	x, err := e.Wait(ctx, "run")
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if x.Status != StatusSucceeded {
		t.Errorf("status %s (%s: %s), want %s", x.Status, x.Error, x.Cause, StatusSucceeded)
	}
	if got := jsonText(t, x.Output); got != `["a","b"]` {
		t.Errorf("output %s, want [\"a\",\"b\"]", got)
	}
	if n := aCalls.Load(); n != 1 {
		t.Errorf("task a ran %d times, want 1", n)
	}
	if n := bCalls.Load(); n != 1 {
		t.Errorf("task b ran %d times, want 1", n)
	}
	events, err := e.History(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for i, ev := range events {
		if ev.ID != int64(i+1) {
			t.Errorf("event %d has ID %d, want %d", i, ev.ID, i+1)
		}
		if ev.Type == "TaskSucceeded" {
			succeeded++
		}
	}
	if succeeded != 2 {
		t.Errorf("history has %d TaskSucceeded events, want 2", succeeded)
	}
}

// startAhead starts an execution of "m" without a Run loop, and steps its
// root cursor up to the first task call.
func startAhead(t *testing.T, e *Engine) (id int64, call *taskCall) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	started := e.takeStarted()
	if len(started) != 1 {
		t.Fatalf("Start handed over %d executions, want 1", len(started))
	}
	id = started[0].id
	out, err := e.step(ctx, id, nil, nil, true)
	if err != nil {
		t.Fatalf("first step: %v", err)
	}
	if out.call == nil {
		t.Fatal("first step returned no task call")
	}
	return id, out.call
}

// checkEventIDs reports history event IDs that are not 1, 2, 3 and so on,
// and returns the event types.
func checkEventIDs(t *testing.T, e *Engine) []string {
	t.Helper()
	events, err := e.History(context.Background(), "run")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, ev := range events {
		if ev.ID != int64(i+1) {
			t.Errorf("event %d (%s) has ID %d, want %d", i, ev.Type, ev.ID, i+1)
		}
		types = append(types, ev.Type)
	}
	return types
}

func TestStepAheadWritesTransitions(t *testing.T) {
	e := testEngine(t, `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"a","Next":"P"},
		"P":{"Type":"Pass","Next":"T2"},
		"T2":{"Type":"Task","Resource":"a","End":true}}}`, map[string]TaskFunc{"a": constTask(`{}`)})
	id, call := startAhead(t, e)

	out, err := e.stepAhead(context.Background(), call.rows(), &taskResult{call: call, output: json.RawMessage(`{"v":1}`)}, true)
	if err != nil {
		t.Fatalf("stepAhead: %v", err)
	}
	if out.call == nil || out.call.s.Name != "T2" {
		t.Fatalf("stepAhead returned call %+v, want the call of T2", out.call)
	}
	if got := string(out.call.c.Input); got != `{"v":1}` {
		t.Errorf("input of T2 %s, want {\"v\":1}", got)
	}
	types := checkEventIDs(t, e)
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
		"TaskStateExited", "PassStateEntered", "PassStateExited", "TaskStateEntered", "TaskScheduled", "TaskStarted"}
	if !slices.Equal(types, want) {
		t.Errorf("history %v, want %v", types, want)
	}

	// The step that ends the execution closes it in the write
	// transaction.
	result := &taskResult{call: out.call, output: json.RawMessage(`{}`)}
	out, err = e.stepAhead(context.Background(), result.call.rows(), result, true)
	if err != nil {
		t.Fatalf("stepAhead at the end of the execution: %v", err)
	}
	if !out.due.IsZero() {
		t.Errorf("cursor due at %v after the end of the execution, want never", out.due)
	}
	var phase string
	if err := e.db.QueryRow(`SELECT phase FROM cursors WHERE id = ?`, id).Scan(&phase); err != nil {
		t.Fatal(err)
	}
	if phase != phaseDone {
		t.Errorf("root cursor in phase %q, want %q", phase, phaseDone)
	}
	x, err := e.Describe(context.Background(), "run")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusSucceeded {
		t.Errorf("status %s (%s: %s), want %s", x.Status, x.Error, x.Cause, StatusSucceeded)
	}
	checkEventIDs(t, e)
}

func TestStepAheadStaleExecution(t *testing.T) {
	e := testEngine(t, `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"a","Next":"T2"},
		"T2":{"Type":"Task","Resource":"a","End":true}}}`, map[string]TaskFunc{"a": constTask(`{}`)})
	id, call := startAhead(t, e)
	// Another request appends an event while the task runs.
	err := e.transact(context.Background(), "run", func(tx *txn) error {
		return tx.emit("PassStateEntered", "Other", nil)
	})
	if err != nil {
		t.Fatal(err)
	}

	result := &taskResult{call: call, output: json.RawMessage(`{}`)}
	if _, err := e.stepAhead(context.Background(), result.call.rows(), result, true); !errors.Is(err, errStale) {
		t.Fatalf("stepAhead on a changed execution row: %v, want errStale", err)
	}
	out, err := e.step(context.Background(), id, nil, result, true)
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	if out.call == nil || out.call.s.Name != "T2" {
		t.Fatalf("step returned call %+v, want the call of T2", out.call)
	}
	types := checkEventIDs(t, e)
	if n := len(types); n != 10 {
		t.Errorf("history has %d events, want 10: %v", n, types)
	}
}

func TestStepAheadNeedsStoreForToken(t *testing.T) {
	e := testEngine(t, `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"a","Next":"Await"},
		"Await":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters":{"FunctionName":"a","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`,
		map[string]TaskFunc{"a": constTask(`{}`)})
	id, call := startAhead(t, e)

	result := &taskResult{call: call, output: json.RawMessage(`{}`)}
	if _, err := e.stepAhead(context.Background(), result.call.rows(), result, true); !errors.Is(err, errSpeculative) {
		t.Fatalf("stepAhead before a task token: %v, want errSpeculative", err)
	}
	out, err := e.step(context.Background(), id, nil, result, true)
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	if out.call == nil || out.call.c.Token == "" {
		t.Fatalf("step returned call %+v, want the call of Await with a task token", out.call)
	}
	var tokens int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM tokens`).Scan(&tokens); err != nil {
		t.Fatal(err)
	}
	if tokens != 1 {
		t.Errorf("store has %d task tokens, want 1", tokens)
	}
	checkEventIDs(t, e)
}

func TestChainFromStartRows(t *testing.T) {
	e := testEngine(t, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"a","End":true}}}`, map[string]TaskFunc{"a": constTask(`{"ok":true}`)})
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	started := e.takeStarted()
	if len(started) != 1 || started[0].rows == nil {
		t.Fatalf("Start handed over %+v, want one execution with its rows", started)
	}

	if _, err := e.chain(ctx, started[0].id, started[0].rows); err != nil {
		t.Fatalf("chain: %v", err)
	}
	x, err := e.Describe(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusSucceeded {
		t.Errorf("status %s (%s: %s), want %s", x.Status, x.Error, x.Cause, StatusSucceeded)
	}
	if got := jsonText(t, x.Output); got != `{"ok":true}` {
		t.Errorf("output %s, want {\"ok\":true}", got)
	}
	checkEventIDs(t, e)
}

// Rows that Start committed are out of date once Stop closed the
// execution, so the chain must read the rows and do nothing.
func TestChainFromStaleStartRows(t *testing.T) {
	var calls atomic.Int32
	task := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		return json.RawMessage(`{}`), nil
	}
	e := testEngine(t, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"a","End":true}}}`, map[string]TaskFunc{"a": task})
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	started := e.takeStarted()
	if len(started) != 1 || started[0].rows == nil {
		t.Fatalf("Start handed over %+v, want one execution with its rows", started)
	}
	if _, err := e.Stop(ctx, "run", "Stopped", "stopped before Run"); err != nil {
		t.Fatal(err)
	}

	if _, err := e.chain(ctx, started[0].id, started[0].rows); err != nil {
		t.Fatalf("chain: %v", err)
	}
	x, err := e.Describe(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusAborted {
		t.Errorf("status %s, want %s", x.Status, StatusAborted)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("task ran %d times after Stop, want 0", n)
	}
	types := checkEventIDs(t, e)
	want := []string{"ExecutionStarted", "ExecutionAborted"}
	if !slices.Equal(types, want) {
		t.Errorf("history %v, want %v", types, want)
	}
}

// A stale cursor row ends stepAhead at its first statement, so neither row
// is written.
func TestStepAheadStaleCursorWritesNothing(t *testing.T) {
	e := testEngine(t, `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"a","Next":"T2"},
		"T2":{"Type":"Task","Resource":"a","End":true}}}`, map[string]TaskFunc{"a": constTask(`{}`)})
	id, call := startAhead(t, e)
	if _, err := e.db.Exec(`UPDATE cursors SET version = version + 1 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	var before int64
	if err := e.db.QueryRow(`SELECT event_count FROM executions WHERE name = 'run'`).Scan(&before); err != nil {
		t.Fatal(err)
	}

	result := &taskResult{call: call, output: json.RawMessage(`{}`)}
	if _, err := e.stepAhead(context.Background(), result.call.rows(), result, true); !errors.Is(err, errStale) {
		t.Fatalf("stepAhead on a changed cursor row: %v, want errStale", err)
	}
	var after int64
	var phase string
	err := e.db.QueryRow(`SELECT x.event_count, c.phase FROM executions x JOIN cursors c ON c.execution = x.name
		WHERE c.id = ?`, id).Scan(&after, &phase)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("event_count %d after a stale step, want %d", after, before)
	}
	if phase != phaseTask {
		t.Errorf("cursor in phase %q after a stale step, want %q", phase, phaseTask)
	}
	if n := len(checkEventIDs(t, e)); n != int(before) {
		t.Errorf("history has %d events, want %d", n, before)
	}
}

// A cursor write leaves out the columns that are empty before and after
// it, and writes them when either side has a value.
func TestWriteOwnPlainColumns(t *testing.T) {
	e := testEngine(t, `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"a","End":true}}}`, map[string]TaskFunc{"a": constTask(`{}`)})
	id, _ := startAhead(t, e)
	ctx := context.Background()
	write := func(change func(c *cursor)) {
		t.Helper()
		err := e.update(func(tx *storeTx) (func(), error) {
			c, x, err := loadCursorExecution(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			tr := e.newTxn(ctx, tx, x)
			tr.setOwn(c)
			change(c)
			if err := tr.saveCursor(c); err != nil {
				return nil, err
			}
			return nil, tr.flush()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read := func() (errName, cause, retries string) {
		t.Helper()
		err := e.db.QueryRow(`SELECT error, cause, retries FROM cursors WHERE id = ?`, id).Scan(&errName, &cause, &retries)
		if err != nil {
			t.Fatal(err)
		}
		return errName, cause, retries
	}

	// The first write empties the effective input and every column that
	// a plain write leaves out.
	write(func(c *cursor) {
		c.Effective, c.Output, c.Token, c.TaskDeadline, c.HeartbeatSeconds = nil, nil, "", 0, 0
		if !c.hasPlainColumns() {
			t.Fatalf("cursor %+v has columns that a plain write leaves out", c)
		}
	})
	var effective sql.NullString
	if err := e.db.QueryRow(`SELECT effective FROM cursors WHERE id = ?`, id).Scan(&effective); err != nil {
		t.Fatal(err)
	}
	if effective.Valid {
		t.Errorf("effective input %s after emptying it, want NULL", effective.String)
	}
	write(func(c *cursor) { c.Error, c.Cause, c.Retries = "States.Timeout", "late", []int{1} })
	if errName, cause, retries := read(); errName != "States.Timeout" || cause != "late" || retries != "[1]" {
		t.Errorf("after setting them: error %q, cause %q, retries %s", errName, cause, retries)
	}
	write(func(c *cursor) { c.Error, c.Cause, c.Retries = "", "", nil })
	if errName, cause, retries := read(); errName != "" || cause != "" || retries != "[]" {
		t.Errorf("after clearing them: error %q, cause %q, retries %s, want empty", errName, cause, retries)
	}
	write(func(c *cursor) { c.Phase = phaseEnter })
	if errName, cause, retries := read(); errName != "" || cause != "" || retries != "[]" {
		t.Errorf("after a plain write: error %q, cause %q, retries %s, want empty", errName, cause, retries)
	}
	var phase string
	if err := e.db.QueryRow(`SELECT phase FROM cursors WHERE id = ?`, id).Scan(&phase); err != nil {
		t.Fatal(err)
	}
	if phase != phaseEnter {
		t.Errorf("phase %q after a plain write, want %q", phase, phaseEnter)
	}

	// A plain write still writes the effective input, which the step
	// that enters a Task state sets.
	readEffective := func() sql.NullString {
		t.Helper()
		var effective sql.NullString
		if err := e.db.QueryRow(`SELECT effective FROM cursors WHERE id = ?`, id).Scan(&effective); err != nil {
			t.Fatal(err)
		}
		return effective
	}
	write(func(c *cursor) {
		c.Phase, c.Effective = phaseTask, json.RawMessage(`{"n":1}`)
		if !c.hasPlainColumns() {
			t.Fatalf("cursor %+v with only an effective input is not plain", c)
		}
	})
	if got := readEffective(); !got.Valid || got.String != `{"n":1}` {
		t.Errorf("effective input %+v after a plain write, want {\"n\":1}", got)
	}
	write(func(c *cursor) { c.Effective = json.RawMessage(`{"n":2}`) })
	if got := readEffective(); !got.Valid || got.String != `{"n":2}` {
		t.Errorf("effective input %+v after a second plain write, want {\"n\":2}", got)
	}
	write(func(c *cursor) { c.Phase, c.Effective = phaseEnter, nil })
	if got := readEffective(); got.Valid {
		t.Errorf("effective input %s after a plain write that empties it, want NULL", got.String)
	}
}
