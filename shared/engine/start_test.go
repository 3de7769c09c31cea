package engine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

const startDefinition = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// Start without Run writes one executions row, one root cursor and the
// ExecutionStarted event, and no UPDATE of the new row.
func TestStartWritesEachRowOnce(t *testing.T) {
	e := testEngine(t, startDefinition, nil)
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "first", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start first: %v", err)
	}

	var before, after int64
	if err := e.db.QueryRow(`SELECT total_changes()`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(ctx, "m", "second", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start second: %v", err)
	}
	if err := e.db.QueryRow(`SELECT total_changes()`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if changes := after - before; changes != 3 {
		t.Errorf("Start changed %d rows, want 3 (execution, root cursor, ExecutionStarted event)", changes)
	}

	var eventCount int64
	if err := e.db.QueryRow(`SELECT event_count FROM executions WHERE name = 'second'`).Scan(&eventCount); err != nil {
		t.Fatal(err)
	}
	if eventCount != 1 {
		t.Errorf("event_count of a started execution = %d, want 1", eventCount)
	}
}

// Start records a definition as stored only once its row committed, and
// the row is there for the executions that refer to it.
func TestStartMarksDefinitionStored(t *testing.T) {
	e := testEngine(t, startDefinition, nil)
	var text string
	if err := e.db.QueryRow(`SELECT definition FROM machines WHERE name = 'm'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte(text))
	if e.definitionStored(hash) {
		t.Fatalf("definition marked stored before any Start")
	}

	if _, err := e.Start(context.Background(), "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !e.definitionStored(hash) {
		t.Errorf("definition not marked stored after Start committed")
	}
	var rows int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM definitions WHERE hash = ?`, hash[:]).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d definitions rows with the hash, want 1", rows)
	}
}

// startInOneBatch calls Start once for each input, concurrently, while a
// request keeps the store busy, so that every call queues before the next
// batch begins and all of them share that batch. It returns the results
// in the order of inputs and the number of commits that they took.
func startInOneBatch(t *testing.T, e *Engine, name string, inputs []string) ([]Execution, []error, int64) {
	t.Helper()
	release := make(chan struct{})
	holding := make(chan struct{})
	holdErr := make(chan error, 1)
	go func() {
		holdErr <- e.update(func(*storeTx) (func(), error) {
			close(holding)
			<-release
			return nil, errNoChange
		})
	}()
	<-holding
	before := e.commitSeq.Load()

	execs := make([]Execution, len(inputs))
	errs := make([]error, len(inputs))
	var wg sync.WaitGroup
	for i, input := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			execs[i], errs[i] = e.Start(context.Background(), "m", name, json.RawMessage(input))
		}()
	}
	for queued := 0; queued < len(inputs); {
		time.Sleep(time.Millisecond)
		e.writeMu.Lock()
		queued = len(e.writeQueue)
		e.writeMu.Unlock()
	}
	close(release)
	wg.Wait()
	if err := <-holdErr; err != nil {
		t.Fatalf("holding request: %v", err)
	}
	// The holding request's batch commits too.
	return execs, errs, e.commitSeq.Load() - before - 1
}

// Starts of one name with inputs of the same JSON value in one batch
// create one execution, which every call returns.
func TestStartSameNameInOneBatch(t *testing.T) {
	e := testEngine(t, startDefinition, nil)
	inputs := []string{`{"a":1,"b":2}`, `{"b":2,"a":1}`, `{ "a": 1, "b": 2 }`, `{"a":1,"b":2}`}
	execs, errs, commits := startInOneBatch(t, e, "same", inputs)

	if commits != 1 {
		t.Errorf("%d starts queued together took %d commits, want 1", len(inputs), commits)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("Start %d with input %s: %v", i, inputs[i], err)
		}
	}
	for i, x := range execs {
		if !x.StartedAt.Equal(execs[0].StartedAt) {
			t.Errorf("Start %d returned an execution started at %v, want %v", i, x.StartedAt, execs[0].StartedAt)
		}
	}
	var count int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM executions WHERE name = 'same'`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Errorf("%d executions rows named same, want 1", count)
	}
	if got := eventTypes(t, e, "same"); len(got) != 1 || got[0] != "ExecutionStarted" {
		t.Errorf("history = %v, want one ExecutionStarted event", got)
	}
}

// Of two starts of one name with different inputs in one batch, the
// first creates the execution and the second is rejected.
func TestStartDifferentInputInOneBatch(t *testing.T) {
	e := testEngine(t, startDefinition, nil)
	execs, errs, commits := startInOneBatch(t, e, "clash", []string{`{"a":1}`, `{"a":2}`})

	if commits != 1 {
		t.Errorf("2 starts queued together took %d commits, want 1", commits)
	}
	succeeded := 0
	for i, err := range errs {
		switch {
		case err == nil:
			succeeded++
		case !errors.Is(err, ErrExecutionAlreadyExists):
			t.Errorf("Start %d: %v, want ErrExecutionAlreadyExists", i, err)
		}
	}
	if succeeded != 1 {
		t.Fatalf("%d of 2 starts succeeded, want 1: %v", succeeded, errs)
	}
	x, err := e.Describe(context.Background(), "clash")
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err == nil && string(x.Input) != string(execs[i].Input) {
			t.Errorf("stored input %s, want %s of the start that succeeded", x.Input, execs[i].Input)
		}
	}
}
