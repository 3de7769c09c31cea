package engine

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestParallel(t *testing.T) {
	tests := []struct {
		name       string
		def        string
		input      string
		wantStatus string
		wantOutput string
		wantError  string
	}{
		{
			name: "branch outputs in order",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","ResultPath":"$.results","End":true,
				"Parameters":{"v.$":"$.v"},
				"Branches":[
					{"StartAt":"Slow","States":{"Slow":{"Type":"Wait","Seconds":30,"Next":"A"},
						"A":{"Type":"Pass","Result":"a","End":true}}},
					{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"echo","End":true}}},
					{"StartAt":"C","States":{"C":{"Type":"Succeed","OutputPath":"$.v"}}}]}}}`,
			input:      `{"v":7}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":7,"results":["a",{"v":7},7]}`,
		},
		{
			name: "result selector",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","ResultSelector":{"first.$":"$[0]"},"End":true,
				"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},
					{"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}}]}}}`,
			input:      `{}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"first":1}`,
		},
		{
			name: "branch failure caught by name",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done",
				"Catch":[{"ErrorEquals":["Broken"],"ResultPath":"$.error","Next":"Caught"}],
				"Branches":[{"StartAt":"Long","States":{"Long":{"Type":"Wait","Seconds":3600,"End":true}}},
					{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Broken","Cause":"branch 2"}}}]},
				"Caught":{"Type":"Pass","End":true},"Done":{"Type":"Succeed"}}}`,
			input:      `{}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"error":{"Error":"Broken","Cause":"branch 2"}}`,
		},
		{
			name: "branch failure uncaught",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
				"Branches":[{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"fail","End":true}}}]}}}`,
			input:      `{}`,
			wantStatus: StatusFailed,
			wantError:  "Broken",
		},
		{
			name: "nested parallel",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
				"Branches":[{"StartAt":"Q","States":{"Q":{"Type":"Parallel","End":true,
					"Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Result":"x","End":true}}}]}}}]}}}`,
			input:      `{}`,
			wantStatus: StatusSucceeded,
			wantOutput: `[["x"]]`,
		},
	}
	tasks := map[string]TaskFunc{
		"echo": echoTask(),
		"fail": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, &namedError{"Broken", "task failed"}
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := testEngine(t, tt.def, tasks)
				runEngine(t, e)
				x := execute(t, e, "run", tt.input)
				if x.Status != tt.wantStatus || x.Error != tt.wantError {
					t.Fatalf("got %s %q (%s), want %s %q", x.Status, x.Error, x.Cause, tt.wantStatus, tt.wantError)
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

func TestParallelRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		tasks := map[string]TaskFunc{
			"flaky": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				if calls.Add(1) == 1 {
					return nil, &namedError{"Transient", "try again"}
				}
				return json.RawMessage(`"ok"`), nil
			},
		}
		e := testEngine(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
			"Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":5}],
			"Branches":[{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"flaky","End":true}}},
				{"StartAt":"G","States":{"G":{"Type":"Pass","Result":"g","End":true}}}]}}}`, tasks)
		runEngine(t, e)
		x := execute(t, e, "run", `{}`)
		if x.Status != StatusSucceeded || jsonText(t, x.Output) != `["ok","g"]` {
			t.Errorf("got %s %s, want SUCCEEDED [\"ok\",\"g\"]", x.Status, x.Output)
		}
		if got := x.StoppedAt.Sub(x.StartedAt); got != 5*time.Second {
			t.Errorf("took %s, want 5s (one retry)", got)
		}
	})
}

func TestParallelRedriveRerunsFailedBranch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := &counter{}
		var broken atomic.Bool
		broken.Store(true)
		tasks := map[string]TaskFunc{
			"good": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("good")
				return json.RawMessage(`"good"`), nil
			},
			"bad": func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.add("bad")
				if broken.Load() {
					return nil, errors.New("broken")
				}
				return json.RawMessage(`"fixed"`), nil
			},
		}
		e := testEngine(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
			"Branches":[{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"good","End":true}}},
				{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"B"},
					"B":{"Type":"Task","Resource":"bad","End":true}}}]}}}`, tasks)
		runEngine(t, e)
		x := execute(t, e, "run", `{}`)
		if x.Status != StatusFailed {
			t.Fatalf("status = %s, want FAILED", x.Status)
		}
		broken.Store(false)
		ctx := context.Background()
		if _, err := e.Redrive(ctx, "run"); err != nil {
			t.Fatal(err)
		}
		x, _ = e.Wait(ctx, "run")
		if x.Status != StatusSucceeded || jsonText(t, x.Output) != `["good","fixed"]` {
			t.Errorf("got %s %s, want SUCCEEDED [\"good\",\"fixed\"]", x.Status, x.Output)
		}
		if calls.get("good") != 1 || calls.get("bad") != 2 {
			t.Errorf("calls = %v, want good 1, bad 2", calls.calls)
		}
	})
}

func TestMap(t *testing.T) {
	tests := []struct {
		name       string
		state      string
		input      string
		wantStatus string
		wantOutput string
		wantError  string
	}{
		{
			name:       "items path and selector",
			state:      `"ItemsPath":"$.items","ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},"ResultPath":"$.out"`,
			input:      `{"items":["a","b","c"],"k":1}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"items":["a","b","c"],"k":1,"out":[{"i":0,"v":"a","k":1},{"i":1,"v":"b","k":1},{"i":2,"v":"c","k":1}]}`,
		},
		{
			name:       "legacy parameters",
			state:      `"ItemsPath":"$.items","Parameters":{"v.$":"$$.Map.Item.Value"}`,
			input:      `{"items":[1,2]}`,
			wantStatus: StatusSucceeded,
			wantOutput: `[{"v":1},{"v":2}]`,
		},
		{
			name:       "empty array",
			state:      `"ItemsPath":"$.items"`,
			input:      `{"items":[]}`,
			wantStatus: StatusSucceeded,
			wantOutput: `[]`,
		},
		{
			name:       "items not an array",
			state:      `"ItemsPath":"$.items"`,
			input:      `{"items":{}}`,
			wantStatus: StatusFailed,
			wantError:  ErrorRuntime,
		},
		{
			name:       "iteration failure",
			state:      `"ItemsPath":"$.items"`,
			input:      `{"items":[1,"fail",3]}`,
			wantStatus: StatusFailed,
			wantError:  "Broken",
		},
	}
	tasks := map[string]TaskFunc{
		"item": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			if string(in) == `"fail"` {
				return nil, &namedError{"Broken", "bad item"}
			}
			return in, nil
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := testEngine(t, `{"StartAt":"M","States":{"M":{"Type":"Map",`+tt.state+`,"End":true,
					"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"item","End":true}}}}}}`, tasks)
				runEngine(t, e)
				x := execute(t, e, "run", tt.input)
				if x.Status != tt.wantStatus || x.Error != tt.wantError {
					t.Fatalf("got %s %q (%s), want %s %q", x.Status, x.Error, x.Cause, tt.wantStatus, tt.wantError)
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

func TestMapMaxConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		running, peak := 0, 0
		tasks := map[string]TaskFunc{
			"work": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
				mu.Lock()
				running++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(10 * time.Second) // simulated work, in the bubble's fake time
				mu.Lock()
				running--
				mu.Unlock()
				return in, nil
			},
		}
		e := testEngine(t, `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"End":true,
			"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"work","End":true}}}}}}`, tasks)
		runEngine(t, e)
		x := execute(t, e, "run", `[1,2,3,4,5]`)
		if x.Status != StatusSucceeded || jsonText(t, x.Output) != `[1,2,3,4,5]` {
			t.Fatalf("got %s %s, want SUCCEEDED [1,2,3,4,5]", x.Status, x.Output)
		}
		if peak != 2 {
			t.Errorf("at most %d iterations ran at once, want 2", peak)
		}
		if got := x.StoppedAt.Sub(x.StartedAt); got != 30*time.Second {
			t.Errorf("took %s, want 30s (three rounds of two)", got)
		}
	})
}
