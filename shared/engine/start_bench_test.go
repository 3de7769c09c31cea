package engine

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkStartExecution starts b.N executions of the 20-state machine
// of `make bench` with its Run loop running, from 1, 8 or 32 goroutines,
// and then waits for all of them. It reports the rate of the starts alone
// and of the whole batch.
func BenchmarkStartExecution(b *testing.B) {
	for _, goroutines := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			benchmarkStarts(b, goroutines)
		})
	}
}

func benchmarkStarts(b *testing.B, goroutines int) {
	e, ctx := startBenchEngine(b)

	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if _, err := e.Start(ctx, "bench", fmt.Sprintf("run-%d", i), json.RawMessage(`{"n":1}`)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	started := b.Elapsed()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	for i := range b.N {
		x, err := e.Wait(ctx, fmt.Sprintf("run-%d", i))
		if err != nil || x.Status != StatusSucceeded {
			b.Fatalf("execution run-%d ended %s: %v", i, x.Status, err)
		}
	}
	b.ReportMetric(float64(b.N)/started.Seconds(), "starts/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "executions/s")
}
