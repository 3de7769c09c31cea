package engine

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// tokenRegistry is a task that records the task token from its payload, as
// the step that registers a wait does.
type tokenRegistry struct {
	mu       sync.Mutex
	tokens   []string
	payloads []string
	arrived  chan string
}

func newTokenRegistry() *tokenRegistry { return &tokenRegistry{arrived: make(chan string, 10)} }

func (r *tokenRegistry) run(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	var payload struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(in, &payload); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.tokens = append(r.tokens, payload.Token)
	r.payloads = append(r.payloads, string(in))
	r.mu.Unlock()
	r.arrived <- payload.Token
	return json.RawMessage(`{"registered":true}`), nil
}

const tokenMachine = `{"StartAt":"Await","States":{
	"Await":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"${register}","Payload":{"token.$":"$$.Task.Token","id.$":"$.id"}},
		"TimeoutSeconds":3600,"HeartbeatSeconds":600,"ResultPath":"$.live",
		"Catch":[{"ErrorEquals":["Rejected"],"ResultPath":"$.error","Next":"Rejected"}],"Next":"Done"},
	"Rejected":{"Type":"Pass","End":true},
	"Done":{"Type":"Succeed"}}}`

func TestTaskTokenSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newTokenRegistry()
		e := testEngine(t, tokenMachine, map[string]TaskFunc{"register": reg.run})
		runEngine(t, e)
		ctx := context.Background()
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{"id":"T-1"}`)); err != nil {
			t.Fatal(err)
		}
		token := <-reg.arrived
		if len(token) < 40 {
			t.Fatalf("token %q is too short", token)
		}
		// Heartbeats every 5 minutes keep the task alive past its
		// HeartbeatSeconds, within its TimeoutSeconds.
		for range 11 {
			time.Sleep(5 * time.Minute)
			if err := e.SendTaskHeartbeat(ctx, token); err != nil {
				t.Fatalf("SendTaskHeartbeat: %v", err)
			}
		}
		x, _ := e.Describe(ctx, "run")
		if x.Status != StatusRunning {
			t.Fatalf("status = %s (%s) before the token was sent, want RUNNING", x.Status, x.Error)
		}
		if err := e.SendTaskSuccess(ctx, token, json.RawMessage(`{"status":"AVAILABLE"}`)); err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
		x, err := e.Wait(ctx, "run")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := jsonText(t, x.Output), `{"id":"T-1","live":{"status":"AVAILABLE"}}`; got != want {
			t.Errorf("output = %s, want %s", got, want)
		}
		if err := e.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("second SendTaskSuccess error = %v, want ErrInvalidToken", err)
		}
		if err := e.SendTaskSuccess(ctx, "unknown", json.RawMessage(`{}`)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("SendTaskSuccess with an unknown token: error = %v, want ErrInvalidToken", err)
		}
		if got, want := reg.payloads[0], `{"token":"`+token+`","id":"T-1"}`; got != want {
			t.Errorf("payload = %s, want %s", got, want)
		}
		types := eventTypes(t, e, "run")
		want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
			"TaskSucceeded", "TaskStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}
		if len(types) != len(want) {
			t.Fatalf("history = %v, want %v", types, want)
		}
		for i := range want {
			if types[i] != want[i] {
				t.Errorf("event %d = %s, want %s", i+1, types[i], want[i])
			}
		}
	})
}

func TestTaskTokenFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newTokenRegistry()
		e := testEngine(t, tokenMachine, map[string]TaskFunc{"register": reg.run})
		runEngine(t, e)
		ctx := context.Background()
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{"id":"T-1"}`)); err != nil {
			t.Fatal(err)
		}
		token := <-reg.arrived
		if err := e.SendTaskFailure(ctx, token, "Rejected", "endpoint rejected"); err != nil {
			t.Fatalf("SendTaskFailure: %v", err)
		}
		x, _ := e.Wait(ctx, "run")
		want := `{"id":"T-1","error":{"Error":"Rejected","Cause":"endpoint rejected"}}`
		if x.Status != StatusSucceeded || jsonText(t, x.Output) != want {
			t.Errorf("status = %s, output = %s, want SUCCEEDED with %s", x.Status, x.Output, want)
		}
		if err := e.SendTaskFailure(ctx, token, "Rejected", ""); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("second SendTaskFailure error = %v, want ErrInvalidToken", err)
		}
	})
}

func TestTaskTokenTimeouts(t *testing.T) {
	tests := []struct {
		name       string
		heartbeats int
		wantError  string
		wantAfter  time.Duration
	}{
		{"heartbeat timeout", 0, ErrorHeartbeatTimeout, 10 * time.Minute},
		{"heartbeats then heartbeat timeout", 3, ErrorHeartbeatTimeout, 9*5*time.Minute/3 + 10*time.Minute},
		{"task timeout despite heartbeats", 100, ErrorTimeout, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg := newTokenRegistry()
				e := testEngine(t, tokenMachine, map[string]TaskFunc{"register": reg.run})
				runEngine(t, e)
				ctx := context.Background()
				x, err := e.Start(ctx, "m", "run", json.RawMessage(`{"id":"T-1"}`))
				if err != nil {
					t.Fatal(err)
				}
				token := <-reg.arrived
				for range tt.heartbeats {
					time.Sleep(5 * time.Minute)
					if err := e.SendTaskHeartbeat(ctx, token); err != nil {
						break
					}
				}
				x, _ = e.Wait(ctx, "run")
				if x.Status != StatusFailed || x.Error != tt.wantError {
					t.Errorf("status = %s, error = %s, want FAILED with %s", x.Status, x.Error, tt.wantError)
				}
				if got := x.StoppedAt.Sub(x.StartedAt); got != tt.wantAfter {
					t.Errorf("failed after %s, want %s", got, tt.wantAfter)
				}
				if err := e.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, ErrInvalidToken) {
					t.Errorf("SendTaskSuccess after the timeout: error = %v, want ErrInvalidToken", err)
				}
			})
		})
	}
}

func TestTaskTokenFromAnotherProcess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "engine.db")
		reg := newTokenRegistry()
		e := openEngine(t, path, tokenMachine, map[string]TaskFunc{"register": reg.run}, Options{})
		runEngine(t, e)
		ctx := context.Background()
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{"id":"T-1"}`)); err != nil {
			t.Fatal(err)
		}
		token := <-reg.arrived

		operator := openEngine(t, path, "", nil, Options{})
		if err := operator.SendTaskSuccess(ctx, token, json.RawMessage(`{"from":"operator"}`)); err != nil {
			t.Fatalf("SendTaskSuccess from a second handle: %v", err)
		}
		x, _ := e.Wait(ctx, "run")
		if x.Status != StatusSucceeded {
			t.Fatalf("status = %s (%s), want SUCCEEDED", x.Status, x.Error)
		}
		// The engine notices the token within one poll interval.
		if got := x.StoppedAt.Sub(x.StartedAt); got > 200*time.Millisecond {
			t.Errorf("the token was applied after %s, want at most 200ms", got)
		}
		history, err := operator.History(ctx, "run")
		if err != nil || len(history) == 0 {
			t.Errorf("History from the second handle: %d events, %v", len(history), err)
		}
	})
}

func TestTaskTokenAcrossRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "engine.db")
		reg := newTokenRegistry()
		tasks := map[string]TaskFunc{"register": reg.run}
		first := openEngine(t, path, tokenMachine, tasks, Options{PollInterval: testPoll})
		stop := runEngine(t, first)
		ctx := context.Background()
		if _, err := first.Start(ctx, "m", "run", json.RawMessage(`{"id":"T-1"}`)); err != nil {
			t.Fatal(err)
		}
		token := <-reg.arrived
		synctest.Wait()
		stop()
		first.Close()

		second := openEngine(t, path, "", tasks, Options{PollInterval: testPoll})
		runEngine(t, second)
		time.Sleep(5 * time.Minute)
		if err := second.SendTaskSuccess(ctx, token, json.RawMessage(`{"ok":1}`)); err != nil {
			t.Fatalf("SendTaskSuccess after restart: %v", err)
		}
		x, _ := second.Wait(ctx, "run")
		if x.Status != StatusSucceeded {
			t.Errorf("status = %s (%s), want SUCCEEDED", x.Status, x.Error)
		}
		if len(reg.tokens) != 1 {
			t.Errorf("the registering function ran %d times, want 1", len(reg.tokens))
		}
	})
}

func TestWellFormedTaskToken(t *testing.T) {
	fresh := newTaskToken()
	tests := []struct {
		token string
		want  bool
	}{
		{fresh, true},
		{strings.TrimPrefix(fresh, "T"), true},
		{"", false},
		{"unknown", false},
		{fresh + "A", false},
		// One character short is an older token's length, so cut two.
		{fresh[:len(fresh)-2], false},
		{"T" + strings.Repeat("+", 64), false},
		{"X" + strings.Repeat("A", 64), false},
		// A token from before the prefix whose first character is T.
		{"T" + strings.Repeat("A", 63), true},
		{"TT" + strings.Repeat("A", 63), true},
	}
	for _, tt := range tests {
		if got := WellFormedTaskToken(tt.token); got != tt.want {
			t.Errorf("WellFormedTaskToken(%q) = %t, want %t", tt.token, got, tt.want)
		}
	}
}

// TestCheckTaskTokenReadOnly checks that CheckTaskToken, on an Engine from
// OpenReadOnly, returns the errors that SendTaskSuccess returns for each
// token status.
func TestCheckTaskTokenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, "", nil, Options{})
	_, err := e.db.Exec(`INSERT INTO tokens (token, cursor, execution, status) VALUES
		('waiting', 1, 'run', 'pending'), ('closed', 2, 'run', 'succeeded')`)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()

	r, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.CheckTaskToken(ctx, "waiting"); err != nil {
		t.Errorf("CheckTaskToken of a pending token = %v, want nil", err)
	}
	if err := r.CheckTaskToken(ctx, "closed"); !errors.Is(err, ErrTaskClosed) {
		t.Errorf("CheckTaskToken of a completed token = %v, want ErrTaskClosed", err)
	}
	if err := r.CheckTaskToken(ctx, "unknown"); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("CheckTaskToken of an unknown token = %v, want ErrTaskNotFound", err)
	}
}
