package engine

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// provisionTasks are fakes of the steps that testdata/provision.asl.json
// calls. The proxy VM reports NotReady twice, as a booting VM does.
func provisionTasks(tokens chan<- string) map[string]TaskFunc {
	var mu sync.Mutex
	vmCalls := 0
	return map[string]TaskFunc{
		"preflight": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var p struct {
				Request struct {
					ID string `json:"id"`
				} `json:"request"`
			}
			if err := json.Unmarshal(in, &p); err != nil || p.Request.ID == "" {
				return nil, &namedError{"InvalidRequest", "request.id is missing"}
			}
			return json.RawMessage(`{"action":"created","id":"ok"}`), nil
		},
		"proxy_vm": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			mu.Lock()
			defer mu.Unlock()
			vmCalls++
			if vmCalls <= 2 {
				return nil, &namedError{"NotReady", "instance i-1 is pending"}
			}
			return json.RawMessage(`{"action":"created","id":"i-1","private_ip":"10.0.0.5"}`), nil
		},
		"register_wait": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			var p struct {
				Token string `json:"token"`
				VM    string `json:"vm"`
			}
			if err := json.Unmarshal(in, &p); err != nil || p.VM != "i-1" {
				return nil, &namedError{"InvalidRequest", "payload without vm"}
			}
			tokens <- p.Token
			return json.RawMessage(`{}`), nil
		},
		"grant": func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil },
	}
}

func TestProvisionWorkflow(t *testing.T) {
	definition, err := os.ReadFile("testdata/provision.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		input      string
		live       string // task result sent with the token; empty lets the task time out
		wantStatus string
		wantError  string
		wantOutput string
		wantTime   time.Duration
	}{
		{
			name:       "endpoint live",
			input:      `{"request":{"id":"T-1","roles":["A","B","C"]}}`,
			live:       `{"status":"AVAILABLE"}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"request":{"id":"T-1","roles":["A","B","C"]},"resources":{
				"preflight":{"action":"created","id":"ok"},"proxy_vm":{"action":"created","id":"i-1"},
				"endpoint_live":{"status":"AVAILABLE"},"grants":{"roles":["A","B","C"]}}}`,
			wantTime: 25 * time.Second, // NotReady retries after 10s and 15s
		},
		{
			name:       "endpoint failed",
			input:      `{"request":{"id":"T-2","roles":[]}}`,
			live:       `{"status":"FAILED"}`,
			wantStatus: StatusFailed,
			wantError:  "AwaitingOperator",
			wantTime:   25 * time.Second,
		},
		{
			name:       "endpoint never live",
			input:      `{"request":{"id":"T-3","roles":[]}}`,
			wantStatus: StatusFailed,
			wantError:  "AwaitingOperator",
			wantTime:   25*time.Second + 24*time.Hour,
		},
		{
			name:       "invalid request",
			input:      `{"request":{"roles":[]}}`,
			wantStatus: StatusFailed,
			wantError:  "InvalidRequest",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tokens := make(chan string, 1)
				e := testEngine(t, string(definition), provisionTasks(tokens))
				runEngine(t, e)
				ctx := context.Background()
				if _, err := e.Start(ctx, "m", "run", json.RawMessage(tt.input)); err != nil {
					t.Fatal(err)
				}
				if tt.live != "" {
					if err := e.SendTaskSuccess(ctx, <-tokens, json.RawMessage(tt.live)); err != nil {
						t.Fatalf("SendTaskSuccess: %v", err)
					}
				}
				x, err := e.Wait(ctx, "run")
				if err != nil {
					t.Fatal(err)
				}
				if x.Status != tt.wantStatus || x.Error != tt.wantError {
					t.Fatalf("got %s %q (%s), want %s %q", x.Status, x.Error, x.Cause, tt.wantStatus, tt.wantError)
				}
				if tt.wantOutput != "" {
					if got, want := jsonText(t, x.Output), jsonText(t, []byte(tt.wantOutput)); got != want {
						t.Errorf("output = %s, want %s", got, want)
					}
				}
				if got := x.StoppedAt.Sub(x.StartedAt); got != tt.wantTime {
					t.Errorf("took %s, want %s", got, tt.wantTime)
				}
			})
		})
	}
}
