package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// namedError is an error with an ASL error name, like the steps return.
type namedError struct{ name, msg string }

func (e *namedError) Error() string     { return e.msg }
func (e *namedError) ErrorName() string { return e.name }

// scriptedTask fails with the given errors in turn, then succeeds with
// {"ok":true}. It counts its calls.
type scriptedTask struct {
	mu     sync.Mutex
	errs   []error
	calls  int
	inputs []string
}

func (s *scriptedTask) run(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.inputs = append(s.inputs, string(in))
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return nil, err
	}
	return json.RawMessage(`{"ok":true}`), nil
}

// scheduledOffsets returns when each TaskScheduled event happened, as
// offsets from the start of the execution.
func scheduledOffsets(t *testing.T, e *Engine, name string) []time.Duration {
	t.Helper()
	events, err := e.History(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Duration
	for _, ev := range events {
		if ev.Type == "TaskScheduled" {
			out = append(out, ev.Timestamp.Sub(events[0].Timestamp))
		}
	}
	return out
}

func TestRetry(t *testing.T) {
	notReady := &namedError{"NotReady", "endpoint pending"}
	other := &namedError{"Other", "other failure"}
	tests := []struct {
		name        string
		retry       string
		errs        []error
		wantStatus  string
		wantError   string
		wantOffsets []time.Duration
	}{
		{
			name:        "backoff then success",
			retry:       `[{"ErrorEquals":["NotReady"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":3}]`,
			errs:        []error{notReady, notReady},
			wantStatus:  StatusSucceeded,
			wantOffsets: []time.Duration{0, 2 * time.Second, 6 * time.Second},
		},
		{
			name:        "defaults",
			retry:       `[{"ErrorEquals":["NotReady"]}]`,
			errs:        []error{notReady, notReady, notReady, notReady},
			wantStatus:  StatusFailed,
			wantError:   "NotReady",
			wantOffsets: []time.Duration{0, 1 * time.Second, 3 * time.Second, 7 * time.Second},
		},
		{
			name:        "max attempts zero",
			retry:       `[{"ErrorEquals":["NotReady"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":5}]`,
			errs:        []error{notReady},
			wantStatus:  StatusFailed,
			wantError:   "NotReady",
			wantOffsets: []time.Duration{0},
		},
		{
			name:        "max delay",
			retry:       `[{"ErrorEquals":["NotReady"],"IntervalSeconds":10,"BackoffRate":10,"MaxDelaySeconds":15,"MaxAttempts":3}]`,
			errs:        []error{notReady, notReady, notReady},
			wantStatus:  StatusSucceeded,
			wantOffsets: []time.Duration{0, 10 * time.Second, 25 * time.Second, 40 * time.Second},
		},
		{
			name: "one counter per retrier",
			retry: `[{"ErrorEquals":["NotReady"],"IntervalSeconds":1,"MaxAttempts":1,"BackoffRate":1},
				{"ErrorEquals":["Other"],"IntervalSeconds":5,"MaxAttempts":1}]`,
			errs:        []error{notReady, other, notReady},
			wantStatus:  StatusFailed,
			wantError:   "NotReady",
			wantOffsets: []time.Duration{0, 1 * time.Second, 6 * time.Second},
		},
		{
			name:        "all matches named errors",
			retry:       `[{"ErrorEquals":["States.ALL"],"IntervalSeconds":3,"MaxAttempts":1}]`,
			errs:        []error{fmt.Errorf("wrapped: %w", other)},
			wantStatus:  StatusSucceeded,
			wantOffsets: []time.Duration{0, 3 * time.Second},
		},
		{
			name:        "task failed matches plain errors",
			retry:       `[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":3,"MaxAttempts":1}]`,
			errs:        []error{errors.New("plain")},
			wantStatus:  StatusSucceeded,
			wantOffsets: []time.Duration{0, 3 * time.Second},
		},
		{
			name:        "first matching retrier wins",
			retry:       `[{"ErrorEquals":["Other"],"IntervalSeconds":1,"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"IntervalSeconds":3}]`,
			errs:        []error{other},
			wantStatus:  StatusFailed,
			wantError:   "Other",
			wantOffsets: []time.Duration{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				task := &scriptedTask{errs: tt.errs}
				e := testEngine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"step",
					"Retry":`+tt.retry+`,"End":true}}}`, map[string]TaskFunc{"step": task.run})
				runEngine(t, e)
				x := execute(t, e, "run", `{}`)
				if x.Status != tt.wantStatus || x.Error != tt.wantError {
					t.Errorf("status = %s, error = %q, want %s, %q", x.Status, x.Error, tt.wantStatus, tt.wantError)
				}
				if diff := cmp.Diff(tt.wantOffsets, scheduledOffsets(t, e, "run")); diff != "" {
					t.Errorf("TaskScheduled times (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestRetryJitter(t *testing.T) {
	r := retrier{IntervalSeconds: 10, BackoffRate: 2, JitterFull: true}
	for attempt := range 4 {
		limit := time.Duration(10<<attempt) * time.Second
		for range 50 {
			if d := retryDelay(r, attempt); d < 0 || d > limit {
				t.Fatalf("retryDelay(attempt %d) = %s, want 0 to %s", attempt, d, limit)
			}
		}
	}
}

func TestRetryCountInContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		task := &scriptedTask{errs: []error{errors.New("a"), errors.New("b")}}
		e := testEngine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"step",
			"Parameters":{"retry.$":"$$.State.RetryCount"},
			"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":5}],"End":true}}}`, map[string]TaskFunc{"step": task.run})
		runEngine(t, e)
		execute(t, e, "run", `{}`)
		want := []string{`{"retry":0}`, `{"retry":1}`, `{"retry":2}`}
		if diff := cmp.Diff(want, task.inputs); diff != "" {
			t.Errorf("task inputs (-want +got):\n%s", diff)
		}
	})
}

func TestCatch(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		catch      string
		wantStatus string
		wantOutput string
		wantError  string
	}{
		{
			name:       "named error with ResultPath",
			err:        fmt.Errorf("step: %w", &namedError{"Conflict", "name taken"}),
			catch:      `[{"ErrorEquals":["Conflict"],"ResultPath":"$.error","Next":"Handled"}]`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":1,"error":{"Error":"Conflict","Cause":"step: name taken"}}`,
		},
		{
			name:       "default ResultPath replaces the input",
			err:        errors.New("boom"),
			catch:      `[{"ErrorEquals":["States.ALL"],"Next":"Handled"}]`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"Error":"States.TaskFailed","Cause":"boom"}`,
		},
		{
			name:       "first matching catcher",
			err:        &namedError{"Rejected", "no"},
			catch:      `[{"ErrorEquals":["Other"],"Next":"Other"},{"ErrorEquals":["Rejected","Conflict"],"ResultPath":null,"Next":"Handled"}]`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":1}`,
		},
		{
			name:       "no matching catcher",
			err:        &namedError{"Rejected", "no"},
			catch:      `[{"ErrorEquals":["Other"],"Next":"Other"}]`,
			wantStatus: StatusFailed,
			wantError:  "Rejected",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				task := &scriptedTask{errs: []error{tt.err}}
				e := testEngine(t, `{"StartAt":"T","States":{
					"T":{"Type":"Task","Resource":"step","Next":"Handled",
						"Catch":[{"ErrorEquals":["Never"],"Next":"Other"},`+tt.catch[1:]+`},
					"Handled":{"Type":"Pass","End":true},
					"Other":{"Type":"Fail","Error":"WrongCatcher"}}}`, map[string]TaskFunc{"step": task.run})
				runEngine(t, e)
				x := execute(t, e, "run", `{"v":1}`)
				if x.Status != tt.wantStatus || x.Error != tt.wantError {
					t.Fatalf("status = %s, error = %q, want %s, %q", x.Status, x.Error, tt.wantStatus, tt.wantError)
				}
				if tt.wantOutput != "" {
					if got, want := jsonText(t, x.Output), jsonText(t, []byte(tt.wantOutput)); got != want {
						t.Errorf("output = %s, want %s", got, want)
					}
				}
			})
		})
	}
}

func TestRetryThenCatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nr := &namedError{"NotReady", "pending"}
		task := &scriptedTask{errs: []error{nr, nr, nr}}
		e := testEngine(t, `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"step","End":true,
				"Retry":[{"ErrorEquals":["NotReady"],"MaxAttempts":2}],
				"Catch":[{"ErrorEquals":["NotReady"],"ResultPath":"$.error","Next":"Parked"}]},
			"Parked":{"Type":"Pass","End":true}}}`, map[string]TaskFunc{"step": task.run})
		runEngine(t, e)
		x := execute(t, e, "run", `{}`)
		if x.Status != StatusSucceeded || x.CurrentState != "Parked" {
			t.Errorf("status = %s in %s, want SUCCEEDED in Parked", x.Status, x.CurrentState)
		}
		if task.calls != 3 {
			t.Errorf("task ran %d times, want 3", task.calls)
		}
		want := []string{"ExecutionStarted", "TaskStateEntered",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
		if diff := cmp.Diff(want, eventTypes(t, e, "run")); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
	})
}

func TestTaskTimeout(t *testing.T) {
	tests := []struct {
		name       string
		catch      string
		wantStatus string
		wantError  string
	}{
		{"uncaught", `[]`, StatusFailed, ErrorTimeout},
		{"task failed does not match", `[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}]`, StatusFailed, ErrorTimeout},
		{"caught by name", `[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}]`, StatusSucceeded, ""},
		{"caught by all", `[{"ErrorEquals":["States.ALL"],"Next":"Caught"}]`, StatusSucceeded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cancelled := make(chan struct{})
				block := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
					<-ctx.Done()
					close(cancelled)
					return nil, ctx.Err()
				}
				e := testEngine(t, `{"StartAt":"T","States":{
					"T":{"Type":"Task","Resource":"block","TimeoutSeconds":30,"Catch":`+tt.catch+`,"Next":"Caught"},
					"Caught":{"Type":"Succeed"}}}`, map[string]TaskFunc{"block": block})
				runEngine(t, e)
				x := execute(t, e, "run", `{}`)
				if x.Status != tt.wantStatus || x.Error != tt.wantError {
					t.Errorf("status = %s, error = %q, want %s, %q", x.Status, x.Error, tt.wantStatus, tt.wantError)
				}
				<-cancelled
				events, _ := e.History(context.Background(), "run")
				var timedOut *Event
				for i := range events {
					if events[i].Type == "TaskTimedOut" {
						timedOut = &events[i]
					}
				}
				if timedOut == nil {
					t.Fatal("no TaskTimedOut event")
				}
				if got := timedOut.Timestamp.Sub(events[0].Timestamp); got != 30*time.Second {
					t.Errorf("timed out after %s, want 30s", got)
				}
			})
		})
	}
}

func TestErrorMatches(t *testing.T) {
	tests := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "Anything", true},
		{[]string{"States.ALL"}, ErrorTimeout, true},
		{[]string{"States.ALL"}, ErrorDataLimitExceeded, false},
		{[]string{"States.ALL"}, ErrorRuntime, false},
		{[]string{ErrorRuntime}, ErrorRuntime, false},
		{[]string{ErrorDataLimitExceeded}, ErrorDataLimitExceeded, true},
		{[]string{"States.TaskFailed"}, "Custom", true},
		{[]string{"States.TaskFailed"}, ErrorTimeout, false},
		{[]string{"States.TaskFailed"}, ErrorHeartbeatTimeout, false},
		{[]string{"States.Timeout"}, ErrorHeartbeatTimeout, true},
		{[]string{"States.HeartbeatTimeout"}, ErrorTimeout, false},
		{[]string{"A", "B"}, "B", true},
		{[]string{"A", "B"}, "C", false},
	}
	for _, tt := range tests {
		if got := errorMatches(tt.equals, tt.name); got != tt.want {
			t.Errorf("errorMatches(%v, %s) = %v, want %v", tt.equals, tt.name, got, tt.want)
		}
	}
}
