package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkStartExecution starts b.N executions of the 20-state machine
// of `make bench` with its Run loop running, from 1, 8 or 32 goroutines,
// and then waits for all of them. It reports the rate of the starts alone
// and of the whole batch.
func BenchmarkStartExecution(b *testing.B) {
	definition, err := os.ReadFile(filepath.Join("..", "..", "tools", "bench", "machine.asl.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, goroutines := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			benchmarkStarts(b, definition, goroutines)
		})
	}
}

func benchmarkStarts(b *testing.B, definition []byte, goroutines int) {
	e, err := Open(filepath.Join(b.TempDir(), "engine.db"), Options{PollInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	e.Register("bench", constTask(`{"ok":true}`))
	if err := e.Define("bench", definition); err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		stop()
		<-done
	}()

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
