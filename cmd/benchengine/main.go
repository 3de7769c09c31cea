// Command benchengine measures repolink for docs/benchmarks.md: the
// embedded ASL engine's executions per second and the memory of executions
// waiting on task tokens, the Snowflake queries per poll, the state
// transitions and times of sandbox provision runs against a 30-second
// polling loop, and the Lambda bootstrap's size and init time. `make bench`
// runs its report subcommand, which also runs aws-local-stepfunctions on the
// same machine and writes docs/benchmarks.md.
//
// Usage:
//
//	benchengine throughput -machine FILE [-executions N] [-warmup N]
//	benchengine waits [-executions N]
//	benchengine polls [-waits N] [-accounts N]
//	benchengine loop [-machine FILE]
//	benchengine provision [-repolink BIN] [-request FILE] [-runs N] [-realistic-runs N]
//	benchengine lambda [-dir DIR] [-runs N] [-go GO]
//	benchengine report -node BIN -modules DIR -machine FILE [-loop FILE] [-repolink BIN] [-lambda DIR] [-out FILE]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchengine throughput|waits|polls|loop|provision|lambda|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "throughput":
		err = throughputCommand(os.Args[2:])
	case "waits":
		err = waitsCommand(os.Args[2:])
	case "polls":
		err = pollsCommand(os.Args[2:])
	case "loop":
		err = loopCommand(os.Args[2:])
	case "provision":
		err = provisionCommand(os.Args[2:])
	case "lambda":
		err = lambdaCommand(os.Args[2:])
	case "report":
		err = reportCommand(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q: use throughput, waits, polls, loop, provision, lambda or report", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchengine:", err)
		os.Exit(1)
	}
}

// throughputResult is the output of the throughput subcommand.
type throughputResult struct {
	Executions int     `json:"executions"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"per_second"`
	// Events is the history length of one execution.
	Events int `json:"events"`
	// HistoryBytes is the mean size of the event details of one execution.
	HistoryBytes int `json:"history_bytes"`
	// Parts is the mean number of event_parts rows, one per write batch
	// that changed it, that the engine stored for one execution.
	Parts float64 `json:"parts"`
	// PartBytes is the mean encoded size of those rows for one execution.
	PartBytes int `json:"part_bytes"`
	// FloorPerSecond is the rate at which the history of the measured
	// executions alone is written to SQLite (see historyFloor).
	FloorPerSecond float64 `json:"floor_per_second"`
	// DurablePerSecond is the rate of the writes that any durable engine
	// needs for the measured executions (see durableFloor), and
	// CompressedBytes the mean size of a compressed history there.
	DurablePerSecond float64 `json:"durable_per_second"`
	CompressedBytes  int     `json:"compressed_bytes"`
	// StartGoroutines is the number of goroutines that started the
	// executions.
	StartGoroutines int `json:"start_goroutines"`
}

func throughputCommand(args []string) error {
	fs := flag.NewFlagSet("throughput", flag.ExitOnError)
	machine := fs.String("machine", "tools/bench/machine.asl.json", "ASL definition to run")
	executions := fs.Int("executions", 2000, "executions to measure")
	warmup := fs.Int("warmup", 200, "executions to run before measuring")
	fs.Parse(args)

	definition, err := os.ReadFile(*machine)
	if err != nil {
		return err
	}
	result, err := measureThroughput(definition, *executions, *warmup)
	if err != nil {
		return err
	}
	return printJSON(os.Stdout, result)
}

// measureThroughput runs warmup executions, then starts the measured ones
// at once and waits for all of them, on a fresh store.
func measureThroughput(definition []byte, executions, warmup int) (throughputResult, error) {
	dir, err := os.MkdirTemp("", "benchengine-")
	if err != nil {
		return throughputResult{}, err
	}
	defer os.RemoveAll(dir)
	e, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{})
	if err != nil {
		return throughputResult{}, err
	}
	defer e.Close()
	e.Register("bench", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"ok":true}`), nil
	})
	if err := e.Define("bench", definition); err != nil {
		return throughputResult{}, err
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		stop()
		<-done
	}()

	if _, err := runBatch(ctx, e, "warmup", warmup); err != nil {
		return throughputResult{}, err
	}
	elapsed, err := runBatch(ctx, e, "run", executions)
	if err != nil {
		return throughputResult{}, err
	}
	histories := make([][]engine.Event, executions)
	size := 0
	for i := range histories {
		if histories[i], err = e.History(ctx, fmt.Sprintf("run-%d", i)); err != nil {
			return throughputResult{}, err
		}
		for _, ev := range histories[i] {
			size += len(ev.Details)
		}
	}
	parts, err := historyParts(filepath.Join(dir, "engine.db"), histories)
	if err != nil {
		return throughputResult{}, err
	}
	partCount := 0
	for _, p := range parts {
		partCount += len(p)
	}
	floor, partBytes, err := historyFloor(dir, parts)
	if err != nil {
		return throughputResult{}, fmt.Errorf("measure the history floor: %w", err)
	}
	durable, compressed, err := durableFloor(dir, histories)
	if err != nil {
		return throughputResult{}, fmt.Errorf("measure the durable floor: %w", err)
	}
	return throughputResult{
		Executions:     executions,
		Seconds:        elapsed.Seconds(),
		PerSecond:      float64(executions) / elapsed.Seconds(),
		Events:         len(histories[0]),
		HistoryBytes:   size / executions,
		Parts:          float64(partCount) / float64(executions),
		PartBytes:      partBytes,
		FloorPerSecond: floor,

		DurablePerSecond: durable,
		CompressedBytes:  compressed,
		StartGoroutines:  startGoroutines,
	}, nil
}

// startGoroutines is the number of goroutines that start the executions
// of a batch. Start calls that arrive together share one commit, so
// concurrent callers start executions at a higher rate than one caller.
const startGoroutines = 32

// runBatch starts n executions from startGoroutines goroutines, each
// taking the next name in turn, then waits for all of them, and returns
// the time that took.
func runBatch(ctx context.Context, e *engine.Engine, prefix string, n int) (time.Duration, error) {
	start := time.Now()
	if err := startAll(ctx, e, prefix, n); err != nil {
		return 0, err
	}
	for i := range n {
		x, err := e.Wait(ctx, fmt.Sprintf("%s-%d", prefix, i))
		if err != nil {
			return 0, err
		}
		if x.Status != engine.StatusSucceeded {
			return 0, fmt.Errorf("execution %s ended %s: %s: %s", x.Name, x.Status, x.Error, x.Cause)
		}
	}
	return time.Since(start), nil
}

// startAll starts the executions prefix-0 to prefix-(n-1) from
// startGoroutines goroutines. A goroutine stops at its first failed Start,
// and startAll returns the errors of all goroutines joined.
func startAll(ctx context.Context, e *engine.Engine, prefix string, n int) error {
	var next atomic.Int64
	errs := make([]error, startGoroutines)
	var wg sync.WaitGroup
	for g := range startGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				input := fmt.Sprintf(`{"n":%d}`, i)
				if _, err := e.Start(ctx, "bench", fmt.Sprintf("%s-%d", prefix, i), json.RawMessage(input)); err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// printJSON writes v as one JSON line.
func printJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
