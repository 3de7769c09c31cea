package engine

import (
	"context"
	"runtime"
	"sync"
	"testing"
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
