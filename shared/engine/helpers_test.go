package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// testPoll is the poll interval of test engines. Work written by the same
// process wakes Run and Wait at once, so only tests with a second process
// need a short interval, and a long one keeps hour-long waits cheap.
const testPoll = 10 * time.Minute

// testEngine opens an engine on a fresh store in the test's directory,
// registers tasks and defines the machine "m" when definition is set.
func testEngine(t *testing.T, definition string, tasks map[string]TaskFunc) *Engine {
	t.Helper()
	return openEngine(t, filepath.Join(t.TempDir(), "engine.db"), definition, tasks, Options{PollInterval: testPoll})
}

func openEngine(t *testing.T, path, definition string, tasks map[string]TaskFunc, opts Options) *Engine {
	t.Helper()
	e, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	for name, fn := range tasks {
		e.Register(name, fn)
	}
	if definition != "" {
		if err := e.Define("m", []byte(definition)); err != nil {
			t.Fatalf("Define: %v", err)
		}
	}
	return e
}

// runEngine starts Run and returns a function that stops it and waits for
// it to return.
func runEngine(t *testing.T, e *Engine) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// execute starts an execution of "m" and waits for it to close.
func execute(t *testing.T, e *Engine, name, input string) Execution {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", name, json.RawMessage(input)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	x, err := e.Wait(ctx, name)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return x
}

// awaitEvent waits until the history of execution name has an event of
// type kind, so that a test stops Run only after that event committed.
func awaitEvent(t *testing.T, e *Engine, name, kind string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(eventTypes(t, e, name), kind) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s event after 10s", name, kind)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func eventTypes(t *testing.T, e *Engine, name string) []string {
	t.Helper()
	events, err := e.History(context.Background(), name)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var out []string
	for _, ev := range events {
		out = append(out, ev.Type)
	}
	return out
}

// jsonText normalises JSON for comparison.
func jsonText(t *testing.T, raw []byte) string {
	t.Helper()
	if raw == nil {
		return ""
	}
	c, err := compactJSON(raw)
	if err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	return string(c)
}

func constTask(output string) TaskFunc {
	return func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(output), nil
	}
}

func echoTask() TaskFunc {
	return func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }
}
