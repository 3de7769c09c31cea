package engine

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// counter counts calls of a task function by name.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) add(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[name]++
	return c.calls[name]
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

const threeSteps = `{"StartAt":"First","States":{
	"First":{"Type":"Task","Resource":"first","ResultPath":"$.first","Next":"Second"},
	"Second":{"Type":"Task","Resource":"second","ResultPath":"$.second","Next":"Pause"},
	"Pause":{"Type":"Wait","Seconds":3600,"Next":"Third"},
	"Third":{"Type":"Task","Resource":"third","ResultPath":"$.third","End":true}}}`

func TestRestartRerunsInterruptedTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "engine.db")
		calls := &counter{}
		started := make(chan struct{}, 1)
		var blockSecond atomic.Bool
		blockSecond.Store(true)
		tasks := map[string]TaskFunc{
			"first": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("first")
				return json.RawMessage(`1`), nil
			},
			"second": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
				calls.add("second")
				if blockSecond.Load() {
					started <- struct{}{}
					<-ctx.Done() // the process stops while the task runs
					return nil, ctx.Err()
				}
				return json.RawMessage(`2`), nil
			},
			"third": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("third")
				return json.RawMessage(`3`), nil
			},
		}
		ctx := context.Background()
		first := openEngine(t, path, threeSteps, tasks, Options{PollInterval: testPoll})
		stop := runEngine(t, first)
		if _, err := first.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		<-started
		stop()
		first.Close()

		blockSecond.Store(false)
		second := openEngine(t, path, "", tasks, Options{PollInterval: testPoll})
		runEngine(t, second)
		x, err := second.Wait(ctx, "run")
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != StatusSucceeded {
			t.Fatalf("status = %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
		}
		if got, want := jsonText(t, x.Output), `{"first":1,"second":2,"third":3}`; got != want {
			t.Errorf("output = %s, want %s", got, want)
		}
		want := map[string]int{"first": 1, "second": 2, "third": 1}
		if diff := cmp.Diff(want, calls.calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
}

func TestRestartFiresStoredTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "engine.db")
		calls := &counter{}
		task := func(name string) TaskFunc {
			return func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add(name)
				return json.RawMessage(`"` + name + `"`), nil
			}
		}
		tasks := map[string]TaskFunc{"first": task("first"), "second": task("second"), "third": task("third")}
		ctx := context.Background()
		first := openEngine(t, path, threeSteps, tasks, Options{PollInterval: testPoll})
		stop := runEngine(t, first)
		x, err := first.Start(ctx, "m", "run", json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		started := x.StartedAt
		time.Sleep(10 * time.Minute)
		if x, _ := first.Describe(ctx, "run"); x.CurrentState != "Pause" {
			t.Fatalf("current state = %s, want Pause", x.CurrentState)
		}
		stop()
		first.Close()

		time.Sleep(20 * time.Minute) // the process is down
		second := openEngine(t, path, "", tasks, Options{PollInterval: testPoll})
		runEngine(t, second)
		x, err = second.Wait(ctx, "run")
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != StatusSucceeded {
			t.Fatalf("status = %s (%s), want SUCCEEDED", x.Status, x.Error)
		}
		if got := x.StoppedAt.Sub(started); got != time.Hour {
			t.Errorf("finished %s after the start, want 1h (the Wait state's due time)", got)
		}
		for _, name := range []string{"first", "second", "third"} {
			if calls.get(name) != 1 {
				t.Errorf("%s ran %d times, want 1", name, calls.get(name))
			}
		}
	})
}

func TestRedrive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := &counter{}
		var broken atomic.Bool
		broken.Store(true)
		tasks := map[string]TaskFunc{
			"first": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("first")
				return json.RawMessage(`1`), nil
			},
			"second": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("second")
				if broken.Load() {
					return nil, &namedError{"Rejected", "connection rejected"}
				}
				return json.RawMessage(`2`), nil
			},
			"third": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("third")
				return json.RawMessage(`3`), nil
			},
		}
		e := testEngine(t, threeSteps, tasks)
		runEngine(t, e)
		ctx := context.Background()

		x := execute(t, e, "run", `{"in":true}`)
		if x.Status != StatusFailed || x.Error != "Rejected" || x.CurrentState != "Second" {
			t.Fatalf("got %s %s in %s, want FAILED Rejected in Second", x.Status, x.Error, x.CurrentState)
		}
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{"in":true}`)); !errors.Is(err, ErrExecutionAlreadyExists) {
			t.Errorf("Start of a closed name: error = %v, want ErrExecutionAlreadyExists", err)
		}

		broken.Store(false)
		redriven, err := e.Redrive(ctx, "run")
		if err != nil {
			t.Fatalf("Redrive: %v", err)
		}
		if redriven.Status != StatusRunning || redriven.RedriveCount != 1 {
			t.Errorf("after Redrive: status %s, count %d, want RUNNING, 1", redriven.Status, redriven.RedriveCount)
		}
		if _, err := e.Redrive(ctx, "run"); !errors.Is(err, ErrCannotRedrive) {
			t.Errorf("Redrive of a running execution: error = %v, want ErrCannotRedrive", err)
		}
		x, _ = e.Wait(ctx, "run")
		if x.Status != StatusSucceeded {
			t.Fatalf("status after redrive = %s (%s), want SUCCEEDED", x.Status, x.Error)
		}
		if got, want := jsonText(t, x.Output), `{"in":true,"first":1,"second":2,"third":3}`; got != want {
			t.Errorf("output = %s, want %s", got, want)
		}
		want := map[string]int{"first": 1, "second": 2, "third": 1}
		if diff := cmp.Diff(want, calls.calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		types := eventTypes(t, e, "run")
		redrivenAt := -1
		for i, typ := range types {
			if typ == "ExecutionRedriven" {
				redrivenAt = i
			}
		}
		if redrivenAt < 0 || types[redrivenAt+1] != "TaskStateEntered" {
			t.Errorf("history = %v, want ExecutionRedriven followed by TaskStateEntered", types)
		}
		if _, err := e.Redrive(ctx, "run"); !errors.Is(err, ErrCannotRedrive) {
			t.Errorf("Redrive of a succeeded execution: error = %v, want ErrCannotRedrive", err)
		}
		if _, err := e.Redrive(ctx, "nope"); !errors.Is(err, ErrExecutionNotFound) {
			t.Errorf("Redrive of an unknown execution: error = %v, want ErrExecutionNotFound", err)
		}
	})
}

func TestRedriveAborted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := make(chan struct{})
		started := make(chan struct{}, 2)
		var block atomic.Bool
		block.Store(true)
		tasks := map[string]TaskFunc{
			"work": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
				started <- struct{}{}
				if block.Load() {
					<-ctx.Done()
					close(cancelled)
					return nil, ctx.Err()
				}
				return json.RawMessage(`"done"`), nil
			},
		}
		e := testEngine(t, `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"work","End":true}}}`, tasks)
		runEngine(t, e)
		ctx := context.Background()
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		<-started
		x, err := e.Stop(ctx, "run", "Operator", "stopped by hand")
		if err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if x.Status != StatusAborted || x.Error != "Operator" {
			t.Errorf("after Stop: %s %s, want ABORTED Operator", x.Status, x.Error)
		}
		<-cancelled // Stop cancels the running task function

		block.Store(false)
		if _, err := e.Redrive(ctx, "run"); err != nil {
			t.Fatalf("Redrive: %v", err)
		}
		x, _ = e.Wait(ctx, "run")
		if x.Status != StatusSucceeded || string(x.Output) != `"done"` {
			t.Errorf("after redrive: %s with %s, want SUCCEEDED with \"done\"", x.Status, x.Output)
		}
	})
}

func TestExecutionTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"W","TimeoutSeconds":60,"States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`, nil)
		runEngine(t, e)
		x := execute(t, e, "run", `{}`)
		if x.Status != StatusTimedOut || x.Error != ErrorTimeout {
			t.Errorf("got %s %s, want TIMED_OUT %s", x.Status, x.Error, ErrorTimeout)
		}
		if got := x.StoppedAt.Sub(x.StartedAt); got != time.Minute {
			t.Errorf("timed out after %s, want 1m", got)
		}
		if _, err := e.Redrive(context.Background(), "run"); err != nil {
			t.Errorf("Redrive of a timed-out execution: %v", err)
		}
	})
}

func TestStartIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, nil)
		ctx := context.Background()
		first, err := e.Start(ctx, "m", "T-1", json.RawMessage(`{"a":1,"b":[1,2]}`))
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.Start(ctx, "m", "T-1", json.RawMessage(`{ "b": [1, 2], "a": 1 }`))
		if err != nil {
			t.Fatalf("Start with the same input: %v", err)
		}
		if again.StartedAt != first.StartedAt {
			t.Errorf("Start with the same input returned a new execution")
		}
		if _, err := e.Start(ctx, "m", "T-1", json.RawMessage(`{"a":2}`)); !errors.Is(err, ErrExecutionAlreadyExists) {
			t.Errorf("Start with another input: error = %v, want ErrExecutionAlreadyExists", err)
		}
		list, err := e.List(ctx)
		if err != nil || len(list) != 1 || list[0].Name != "T-1" || list[0].CurrentState != "W" {
			t.Errorf("List = %+v, %v, want one execution T-1 in W", list, err)
		}
	})
}

func TestStartRejects(t *testing.T) {
	e := testEngine(t, `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`, nil)
	ctx := context.Background()
	long := make([]byte, 81)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name, machine, execution, input string
		want                            error
	}{
		{"empty name", "m", "", `{}`, ErrInvalidName},
		{"long name", "m", string(long), `{}`, ErrInvalidName},
		{"space", "m", "a b", `{}`, ErrInvalidName},
		{"colon", "m", "T:1", `{}`, ErrInvalidName},
		{"slash", "m", "T/1", `{}`, ErrInvalidName},
		{"control", "m", "T\x01", `{}`, ErrInvalidName},
		{"zero width space", "m", "T-1\u200b", `{}`, ErrInvalidName},
		{"byte order mark", "m", "\ufeffT-1", `{}`, ErrInvalidName},
		{"soft hyphen", "m", "T\u00ad1", `{}`, ErrInvalidName},
		{"right-to-left mark", "m", "T-1\u200f", `{}`, ErrInvalidName},
		{"invalid UTF-8 byte", "m", "T-1\xff", `{}`, ErrInvalidName},
		{"truncated UTF-8 sequence", "m", "T-1\xc3", `{}`, ErrInvalidName},
		{"UTF-8 encoded surrogate", "m", "T\xed\xa0\x80", `{}`, ErrInvalidName},
		{"invalid JSON", "m", "ok", `{`, ErrInvalidInput},
		{"input too large", "m", "ok", `"` + string(make([]byte, 0)) + string(bytesOf('x', maxPayloadBytes)) + `"`, ErrInvalidInput},
		{"unknown machine", "nope", "ok", `{}`, ErrMachineNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.Start(ctx, tt.machine, tt.execution, json.RawMessage(tt.input)); !errors.Is(err, tt.want) {
				t.Errorf("Start error = %v, want %v", err, tt.want)
			}
		})
	}
	for _, valid := range []string{"T-1_ok.é", "T-1\ufffd"} {
		if err := ValidateName(valid); err != nil {
			t.Errorf("ValidateName rejected the valid name %q: %v", valid, err)
		}
	}
}

func TestValidateNameInvalidUTF8Position(t *testing.T) {
	err := ValidateName("aé\xffb")
	if !errors.Is(err, ErrInvalidName) {
		t.Fatalf("ValidateName error = %v, want ErrInvalidName", err)
	}
	for _, want := range []string{`"aé\xffb"`, "0xff", "position 3", "not valid UTF-8"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateName error %q does not contain %q", err, want)
		}
	}
}

func TestValidateNameNamesPosition(t *testing.T) {
	err := ValidateName("ab\u200bc")
	if !errors.Is(err, ErrInvalidName) {
		t.Fatalf("ValidateName error = %v, want ErrInvalidName", err)
	}
	for _, want := range []string{"U+200B", "position 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateName error %q does not contain %q", err, want)
		}
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestHistoryLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`, nil)
		e.maxEvents = 50
		runEngine(t, e)
		x := execute(t, e, "run", `{}`)
		if x.Status != StatusFailed || x.Error != ErrorRuntime {
			t.Errorf("got %s %s, want FAILED %s", x.Status, x.Error, ErrorRuntime)
		}
		if !x.HistoryFull {
			t.Error("HistoryFull is false after the history limit")
		}
		events, _ := e.History(context.Background(), "run")
		if len(events) != 50 || events[49].Type != "ExecutionFailed" {
			t.Errorf("history has %d events ending in %s, want 50 ending in ExecutionFailed", len(events), events[len(events)-1].Type)
		}
		if _, err := e.Redrive(context.Background(), "run"); !errors.Is(err, ErrCannotRedrive) {
			t.Errorf("Redrive after the history limit: error = %v, want ErrCannotRedrive", err)
		}
	})
}

func TestOnEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []Event
		path := filepath.Join(t.TempDir(), "engine.db")
		e := openEngine(t, path, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil, Options{
			PollInterval: testPoll,
			OnEvent: func(ev Event) {
				mu.Lock()
				seen = append(seen, ev)
				mu.Unlock()
			},
		})
		runEngine(t, e)
		execute(t, e, "run", `{"v":1}`)
		history, _ := e.History(context.Background(), "run")
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff(history, seen); diff != "" {
			t.Errorf("OnEvent events differ from History (-history +seen):\n%s", diff)
		}
		for i, ev := range history {
			if ev.ID != int64(i+1) {
				t.Errorf("event %d has ID %d", i+1, ev.ID)
			}
		}
		if got, want := string(history[1].Details), `{"input":{"v":1},"name":"P"}`; got != want {
			t.Errorf("PassStateEntered details = %s, want %s", got, want)
		}
	})
}

func TestSecondRunnerWaitsForLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "engine.db")
		def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"work","End":true}}}`
		calls := &counter{}
		worker := func(engine string) map[string]TaskFunc {
			return map[string]TaskFunc{"work": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add(engine)
				return json.RawMessage(`{}`), nil
			}}
		}
		opts := Options{PollInterval: 200 * time.Millisecond}
		a := openEngine(t, path, def, worker("a"), opts)
		b := openEngine(t, path, "", worker("b"), opts)
		stopA := runEngine(t, a)
		time.Sleep(time.Second)
		runEngine(t, b)

		execute(t, a, "one", `{}`)
		execute(t, b, "two", `{}`)
		if calls.get("a") != 2 || calls.get("b") != 0 {
			t.Errorf("calls = %v, want a 2, b 0 while a holds the lease", calls.calls)
		}

		stopA()
		x := execute(t, b, "three", `{}`)
		if x.Status != StatusSucceeded {
			t.Errorf("status = %s, want SUCCEEDED", x.Status)
		}
		if calls.get("b") != 1 {
			t.Errorf("calls = %v, want b 1 after a stopped", calls.calls)
		}
	})
}

func TestManyExecutionsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"echo","Next":"W"},"W":{"Type":"Wait","Seconds":5,"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"echo","End":true}}}]}}}`,
			map[string]TaskFunc{"echo": echoTask()})
		runEngine(t, e)
		ctx := context.Background()
		const n = 30
		for i := range n {
			if _, err := e.Start(ctx, "m", "run-"+string(rune('a'+i%26))+string(rune('0'+i/26)), json.RawMessage(`{"i":1}`)); err != nil {
				t.Fatal(err)
			}
		}
		list, err := e.List(ctx)
		if err != nil || len(list) != n {
			t.Fatalf("List: %d executions, %v", len(list), err)
		}
		for _, x := range list {
			got, err := e.Wait(ctx, x.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != StatusSucceeded || jsonText(t, got.Output) != `[{"i":1},{"i":1}]` {
				t.Errorf("%s: %s with %s, want SUCCEEDED", x.Name, got.Status, got.Output)
			}
		}
	})
}

func TestTimeoutSecondsPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		e := testEngine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"block",
			"TimeoutSecondsPath":"$.timeout","End":true}}}`, map[string]TaskFunc{"block": block})
		runEngine(t, e)
		x := execute(t, e, "run", `{"timeout":42}`)
		if x.Status != StatusFailed || x.Error != ErrorTimeout {
			t.Errorf("got %s %s, want FAILED %s", x.Status, x.Error, ErrorTimeout)
		}
		if got := x.StoppedAt.Sub(x.StartedAt); got != 42*time.Second {
			t.Errorf("timed out after %s, want 42s", got)
		}
	})
}
