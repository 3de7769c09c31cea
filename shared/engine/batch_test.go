package engine

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Requests that goroutines queue while a new batch is about to start
// join that batch. With one processor the other goroutines run only when
// the leader yields, so without the yield each of the 8 requests commits
// alone.
func TestUpdateJoinsRunnableRequests(t *testing.T) {
	e := testEngine(t, "", nil)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	const requests = 8
	before := e.commitSeq.Load()
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.update(func(tx *storeTx) (func(), error) {
				_, err := tx.ExecContext(context.Background(), `UPDATE machines SET definition = definition`)
				return nil, err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("update: %v", err)
		}
	}
	// The scheduler now and then resumes the leader from the global run
	// queue before the other goroutines ran, and they share a second
	// commit.
	if commits := e.commitSeq.Load() - before; commits > 2 {
		t.Errorf("%d requests queued at once took %d commits, want 1 or 2", requests, commits)
	}
}

// A batch keeps its events buffer, the bound values of its INSERT and its
// history parts for the next batch, emptied so that they keep no event
// details alive.
func TestBatchKeepsEmptiedBuffers(t *testing.T) {
	e := testEngine(t, "", nil)
	const events = 10
	err := e.update(func(tx *storeTx) (func(), error) {
		for id := range events {
			tx.events = append(tx.events, Event{Execution: "buffers", ID: int64(id + 1), Type: "Test",
				Timestamp: time.Unix(0, 0), Details: json.RawMessage(`{"payload":"details"}`)})
		}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}

	if got := cap(e.batchEvents); got < events {
		t.Errorf("events buffer kept with capacity %d, want at least %d", got, events)
	}
	for i, ev := range e.batchEvents[:cap(e.batchEvents)] {
		if ev.Details != nil || ev.Execution != "" {
			t.Errorf("events buffer entry %d still contains event %q %d", i, ev.Execution, ev.ID)
		}
	}
	if got := cap(e.eventArgs); got < 4 {
		t.Errorf("bound values buffer kept with capacity %d, want at least 4", got)
	}
	for i, arg := range e.eventArgs[:cap(e.eventArgs)] {
		if arg != nil {
			t.Errorf("bound values buffer entry %d still contains %v", i, arg)
		}
	}
	if got := cap(e.historyParts); got < 1 {
		t.Errorf("history parts buffer kept with capacity %d, want at least 1", got)
	}
	for i, p := range e.historyParts[:cap(e.historyParts)] {
		if p.execution != "" {
			t.Errorf("history parts buffer entry %d still contains execution %q", i, p.execution)
		}
	}
	stored, err := e.readHistory(context.Background(), "buffers")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != events {
		t.Errorf("%d events stored, want %d", len(stored), events)
	}
}
