package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// Settings of the polling-loop run on the event clock: a 30-second Wait
// lasts 0.3 ms of wall time, and the engine's store poll, which only a
// second process would need, never fires.
const (
	loopSpeedup      = 1e5
	loopPollInterval = 10000 * time.Hour
	loopWallLimit    = 5 * time.Minute
)

// loopRun is one execution of the polling loop.
type loopRun struct {
	// Wait is how long after the start the endpoint turns live.
	Wait   time.Duration `json:"wait_ns"`
	Status string        `json:"status"`
	Error  string        `json:"error,omitempty"`
	// Transitions counts StateEntered events.
	Transitions int `json:"transitions"`
	Events      int `json:"events"`
	// Waited is the engine-clock time from the start to the close.
	Waited      time.Duration `json:"waited_ns"`
	WallSeconds float64       `json:"wall_seconds"`
}

// loopResult is the output of the loop subcommand.
type loopResult struct {
	Interval time.Duration `json:"interval_ns"`
	Runs     []loopRun     `json:"runs"`
}

func loopCommand(args []string) error {
	fs := flag.NewFlagSet("loop", flag.ExitOnError)
	machine := fs.String("machine", "tools/bench/polling-loop.asl.json", "ASL definition of the polling loop")
	interval := fs.Duration("interval", 30*time.Second, "Seconds of the loop's Wait state, for the formula")
	fs.Parse(args)

	definition, err := os.ReadFile(*machine)
	if err != nil {
		return err
	}
	result := loopResult{Interval: *interval}
	for _, wait := range []time.Duration{time.Hour, 7 * 24 * time.Hour} {
		run, err := runLoop(definition, wait)
		if err != nil {
			return fmt.Errorf("polling loop for %s: %w", wait, err)
		}
		result.Runs = append(result.Runs, run)
	}
	return printJSON(os.Stdout, result)
}

// runLoop runs the loop on a fresh store and event clock until the endpoint
// turns live after wait, or the execution fails.
func runLoop(definition []byte, wait time.Duration) (loopRun, error) {
	dir, err := os.MkdirTemp("", "benchengine-")
	if err != nil {
		return loopRun{}, err
	}
	defer os.RemoveAll(dir)

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := newEventClock(start, loopSpeedup)
	closed := make(chan struct{})
	var once sync.Once
	e, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{
		Clock:        clock,
		PollInterval: loopPollInterval,
		OnEvent: func(ev engine.Event) {
			if strings.HasPrefix(ev.Type, "Execution") && ev.Type != "ExecutionStarted" {
				once.Do(func() { close(closed) })
			}
		},
	})
	if err != nil {
		return loopRun{}, err
	}
	defer e.Close()
	if err := e.Define("loop", definition); err != nil {
		return loopRun{}, err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		stop()
		<-done
	}()

	input, err := json.Marshal(map[string]string{"live_at": start.Add(wait).Format("2006-01-02T15:04:05.000Z")})
	if err != nil {
		return loopRun{}, err
	}
	began := time.Now()
	if _, err := e.Start(ctx, "loop", "loop", input); err != nil {
		return loopRun{}, err
	}
	select {
	case <-closed:
	case <-time.After(loopWallLimit):
		return loopRun{}, fmt.Errorf("the loop did not close within %s of wall time", loopWallLimit)
	}
	wall := time.Since(began)

	x, err := e.Describe(ctx, "loop")
	if err != nil {
		return loopRun{}, err
	}
	history, err := e.History(ctx, "loop")
	if err != nil {
		return loopRun{}, err
	}
	return loopRun{
		Wait:        wait,
		Status:      x.Status,
		Error:       strings.TrimSpace(x.Error + " " + x.Cause),
		Transitions: countTransitions(history).Entered,
		Events:      len(history),
		Waited:      x.StoppedAt.Sub(x.StartedAt),
		WallSeconds: wall.Seconds(),
	}, nil
}

// transitions counts the state transitions of one execution the way Step
// Functions bills them: every state entered, and every retry of a Task.
type transitions struct {
	Entered int `json:"entered"`
	Retries int `json:"retries"`
	Billed  int `json:"billed"`
}

// countTransitions counts from the history. A Task state's first attempt
// follows its TaskStateEntered event and each retry schedules the task
// again, so retries are the TaskScheduled events, or LambdaFunctionScheduled
// for a Lambda function ARN, beyond one per entry.
func countTransitions(history []engine.Event) transitions {
	var n transitions
	var taskEntries, scheduled int
	for _, ev := range history {
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			n.Entered++
			if ev.Type == "TaskStateEntered" {
				taskEntries++
			}
		case engine.TaskEventType(ev.Type) == "TaskScheduled":
			scheduled++
		}
	}
	n.Retries = max(scheduled-taskEntries, 0)
	n.Billed = n.Entered + n.Retries
	return n
}
