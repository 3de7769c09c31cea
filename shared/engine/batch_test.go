package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// An unguarded request runs without a savepoint. An error that wraps
// errUnwritten fails only that request, and any other error fails the
// whole batch, because the request may have written part of its rows.
func TestUnguardedRequestErrors(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		wantCommit bool
	}{
		{"before first write", fmt.Errorf("%w: %w", errUnwritten, errStale), true},
		{"after a write", errors.New("disk failed"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil)
			ctx := context.Background()
			setCreated := func(tx *storeTx, value int) error {
				_, err := tx.ExecContext(ctx, `UPDATE machines SET created_at = ?`, value)
				return err
			}
			// The leader holds the batch until both requests are queued.
			hold := make(chan struct{})
			leaderErr := make(chan error, 1)
			go func() {
				leaderErr <- e.update(func(tx *storeTx) (func(), error) {
					<-hold
					return nil, setCreated(tx, 1)
				})
			}()
			waitQueued(t, e, 0)
			guardedErr := make(chan error, 1)
			go func() {
				guardedErr <- e.update(func(tx *storeTx) (func(), error) { return nil, setCreated(tx, 2) })
			}()
			waitQueued(t, e, 1)
			unguardedErr := make(chan error, 1)
			go func() {
				_, err := e.updateUnguarded(func(tx *storeTx) (func(), error) {
					if err := setCreated(tx, 3); err != nil {
						return nil, err
					}
					return nil, tc.err
				})
				unguardedErr <- err
			}()
			waitQueued(t, e, 2)
			close(hold)
			if err := <-leaderErr; err != nil {
				t.Fatalf("leader request: %v", err)
			}

			err := <-guardedErr
			gotErr := <-unguardedErr
			if !errors.Is(gotErr, tc.err) {
				t.Errorf("unguarded request returned %v, want %v", gotErr, tc.err)
			}
			if tc.wantCommit && err != nil {
				t.Errorf("guarded request in the same batch: %v, want nil", err)
			}
			if !tc.wantCommit && err == nil {
				t.Error("guarded request in the same batch committed, want the batch to fail")
			}
			var created int
			if err := e.db.QueryRow(`SELECT created_at FROM machines WHERE name = 'm'`).Scan(&created); err != nil {
				t.Fatal(err)
			}
			// Unguarded writes before errUnwritten stay, so that request
			// writes 3, and a failed batch leaves the first batch's 1.
			want := 1
			if tc.wantCommit {
				want = 3
			}
			if created != want {
				t.Errorf("created_at %d, want %d", created, want)
			}
		})
	}
}

// waitQueued waits until n requests wait in the write queue behind the
// running batch.
func waitQueued(t *testing.T, e *Engine, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.writeMu.Lock()
		queued, writing := len(e.writeQueue), e.writing
		e.writeMu.Unlock()
		if writing && queued == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", queued, n)
		}
		time.Sleep(time.Millisecond)
	}
}
