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

// BenchmarkExecution runs the 20-state machine of `make bench` on a fresh
// store, b.N executions started at once from 32 goroutines, as `make bench`
// starts them. It is not part of `go test`
// unless -bench is given.
func BenchmarkExecution(b *testing.B) {
	e, ctx := startBenchEngine(b)

	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				if _, err := e.Start(ctx, "bench", fmt.Sprintf("run-%d", i), json.RawMessage(`{"n":1}`)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range b.N {
		x, err := e.Wait(ctx, fmt.Sprintf("run-%d", i))
		if err != nil || x.Status != StatusSucceeded {
			b.Fatalf("run-%d: %s %v", i, x.Status, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "executions/s")
}

// startBenchEngine opens an engine on a fresh store in b.TempDir, defines
// the machine of `make bench` as "bench" with a task that returns
// {"ok":true}, and starts its Run loop. The loop stops and the engine
// closes when b's cleanup runs. The returned context ends with the loop.
func startBenchEngine(b *testing.B) (*Engine, context.Context) {
	b.Helper()
	definition, err := os.ReadFile(filepath.Join("..", "..", "tools", "bench", "machine.asl.json"))
	if err != nil {
		b.Fatal(err)
	}
	e, err := Open(filepath.Join(b.TempDir(), "engine.db"), Options{PollInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	e.Register("bench", constTask(`{"ok":true}`))
	if err := e.Define("bench", definition); err != nil {
		b.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	b.Cleanup(func() {
		stop()
		<-done
	})
	return e, ctx
}
