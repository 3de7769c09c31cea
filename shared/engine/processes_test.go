package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// processPoll is the poll interval of the engines in these tests.
const processPoll = 20 * time.Millisecond

// skewedClock is the wall clock moved forward by what a test adds. Its
// timers are wall-clock timers, so the Run loop still wakes every poll
// interval and then reads the moved time from Now.
type skewedClock struct {
	realClock
	mu   sync.Mutex
	skew time.Duration
}

func (c *skewedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *skewedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// openProcesses opens two engines on one store file, which stand for two
// processes: one runs Run, and the other changes the store the way a
// command line call does, without a Run loop of its own.
func openProcesses(t *testing.T, definition string, tasks map[string]TaskFunc) (runner, other *Engine) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "engine.db")
	runner = openEngine(t, path, definition, tasks, Options{PollInterval: processPoll})
	other = openEngine(t, path, "", nil, Options{PollInterval: processPoll})
	runEngine(t, runner)
	return runner, other
}

func waitClosed(t *testing.T, e *Engine, name string) Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := e.Wait(ctx, name)
	if err != nil {
		t.Fatalf("Wait for %s: %v", name, err)
	}
	return x
}

func TestRunFindsStartOfOtherProcess(t *testing.T) {
	runner, other := openProcesses(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","End":true}}}`,
		map[string]TaskFunc{"echo": echoTask()})
	if _, err := other.Start(context.Background(), "m", "elsewhere", json.RawMessage(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	x := waitClosed(t, runner, "elsewhere")
	if x.Status != StatusSucceeded {
		t.Errorf("execution started by another process: %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
	}
}

func TestRunFindsTokenOfOtherProcess(t *testing.T) {
	reg := newTokenRegistry()
	runner, other := openProcesses(t, tokenMachine, map[string]TaskFunc{"register": reg.run})
	if _, err := runner.Start(context.Background(), "m", "run", json.RawMessage(`{"id":"T-1"}`)); err != nil {
		t.Fatal(err)
	}
	token := <-reg.arrived
	if err := other.SendTaskSuccess(context.Background(), token, json.RawMessage(`{"status":"Available"}`)); err != nil {
		t.Fatal(err)
	}
	x := waitClosed(t, runner, "run")
	if x.Status != StatusSucceeded {
		t.Errorf("execution after a token sent by another process: %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
	}
}

func TestRunDropsTaskStoppedElsewhere(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	block := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		close(started)
		<-release
		return json.RawMessage(`{"done":true}`), nil
	}
	runner, other := openProcesses(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"block","Next":"After"},
		"After":{"Type":"Pass","End":true}}}`, map[string]TaskFunc{"block": block})
	ctx := context.Background()
	if _, err := runner.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := other.Stop(ctx, "run", "Stopped", "stopped from the command line"); err != nil {
		t.Fatal(err)
	}
	close(release)
	// The runner applies the outcome in its next step, which must find
	// the cursor changed and drop the outcome.
	time.Sleep(20 * processPoll)

	x, err := runner.Describe(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusAborted {
		t.Errorf("execution stopped by another process: %s, want %s", x.Status, StatusAborted)
	}
	types := eventTypes(t, runner, "run")
	if slices.Contains(types, "TaskSucceeded") {
		t.Errorf("history records the outcome of a stopped task: %v", types)
	}
	if slices.Contains(types, "PassStateEntered") {
		t.Errorf("history enters the next state after a stop: %v", types)
	}
}

// Every cursor is due while its task function runs, so a read of the
// store returns the cursors in flight first. With more of them than one
// read returns, the Run loop must still find the others.
func TestRunFindsWorkPastTasksInFlight(t *testing.T) {
	const iterations = dueBatch + 10
	var mu sync.Mutex
	running := 0
	release := make(chan struct{})
	block := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		running++
		mu.Unlock()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return json.RawMessage(`{}`), nil
	}
	clock := &skewedClock{}
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), `{"StartAt":"M","States":{"M":{"Type":"Map",
		"ItemsPath":"$.items","Iterator":{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"block","End":true}}},
		"End":true}}}`, map[string]TaskFunc{"block": block}, Options{PollInterval: processPoll, Clock: clock})
	if err := e.Define("w", []byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"S"},
		"S":{"Type":"Succeed"}}}`)); err != nil {
		t.Fatal(err)
	}
	defer close(release)
	runEngine(t, e)
	ctx := context.Background()
	items := make([]int, iterations)
	input, _ := json.Marshal(map[string]any{"items": items})
	if _, err := e.Start(ctx, "m", "map", input); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := running
		mu.Unlock()
		if n == iterations {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d Map iterations started their task, want all", n, iterations)
		}
		time.Sleep(processPoll)
	}
	if _, err := e.Start(ctx, "w", "timer", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	// Once the Wait state has set its due time, the test moves the clock
	// past it, and the Run loop must find it on its next read of the store.
	for !slices.Contains(eventTypes(t, e, "timer"), "WaitStateEntered") {
		if time.Now().After(deadline) {
			t.Fatalf("the timer execution entered no Wait state: %v", eventTypes(t, e, "timer"))
		}
		time.Sleep(processPoll)
	}
	clock.Advance(time.Second)
	x := waitClosed(t, e, "timer")
	if x.Status != StatusSucceeded {
		t.Errorf("Wait state execution beside %d running tasks: %s, want SUCCEEDED", iterations, x.Status)
	}
}
