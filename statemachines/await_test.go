package statemachines

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// awaitFixture runs the provision machine's AwaitEndpoint state alone on
// the embedded engine, with a fake await_endpoint step that hands over
// each task token it receives.
type awaitFixture struct {
	engine *engine.Engine
	tokens chan string
}

func newAwaitFixture(t *testing.T) *awaitFixture {
	t.Helper()
	var provision struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(Provision, &provision); err != nil {
		t.Fatalf("decode provision.asl.json: %v", err)
	}
	state := provision.States["AwaitEndpoint"]
	if state == nil {
		t.Fatal("provision.asl.json has no AwaitEndpoint state")
	}
	delete(state, "Next")
	state["End"] = true
	definition, err := json.Marshal(map[string]any{"StartAt": "AwaitEndpoint", "States": map[string]any{"AwaitEndpoint": state}})
	if err != nil {
		t.Fatal(err)
	}

	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	f := &awaitFixture{engine: e, tokens: make(chan string, 4)}
	e.Register("await_endpoint", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var payload struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(in, &payload); err != nil {
			return nil, err
		}
		f.tokens <- payload.Token
		return json.RawMessage(`{}`), nil
	})
	if err := e.Define("await", definition); err != nil {
		t.Fatalf("define AwaitEndpoint alone: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return f
}

func (f *awaitFixture) token(t *testing.T) string {
	t.Helper()
	select {
	case token := <-f.tokens:
		return token
	case <-time.After(10 * time.Second):
		t.Fatal("await_endpoint received no task token")
		return ""
	}
}

func (f *awaitFixture) wait(t *testing.T, name string) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := f.engine.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
	return x
}

// TestAwaitEndpointRejectsMalformedResult checks that a task token
// completed with anything but the poller's report, including a report
// whose fields are not strings, fails AwaitEndpoint itself, so that a
// redrive registers the wait again rather than failing the next step with
// the same stored output.
func TestAwaitEndpointRejectsMalformedResult(t *testing.T) {
	for _, tt := range []struct {
		name, output, wantError string
	}{
		{"string", `"live"`, engine.ErrorRuntime},
		{"empty object", `{}`, engine.ErrorRuntime},
		{"missing status", `{"endpoint_state":"CREATED"}`, engine.ErrorRuntime},
		{"number state", `{"endpoint_state":123,"status":"Available"}`, engine.ErrorIntrinsicFailure},
		{"array status", `{"endpoint_state":"CREATED","status":["x"]}`, engine.ErrorIntrinsicFailure},
		{"null status", `{"endpoint_state":"CREATED","status":null}`, engine.ErrorIntrinsicFailure},
		{"object state", `{"endpoint_state":{},"status":"Available"}`, engine.ErrorIntrinsicFailure},
		{"boolean status", `{"endpoint_state":"CREATED","status":true}`, engine.ErrorIntrinsicFailure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newAwaitFixture(t)
			ctx := context.Background()
			if _, err := f.engine.Start(ctx, "await", "req-1", json.RawMessage(`{"request":{},"resources":{}}`)); err != nil {
				t.Fatalf("start: %v", err)
			}
			if err := f.engine.SendTaskSuccess(ctx, f.token(t), json.RawMessage(tt.output)); err != nil {
				t.Fatalf("send task success: %v", err)
			}
			x := f.wait(t, "req-1")
			if x.Status != engine.StatusFailed {
				t.Fatalf("status %s, want %s", x.Status, engine.StatusFailed)
			}
			if x.Error != tt.wantError {
				t.Errorf("error %q (%s), want %q", x.Error, x.Cause, tt.wantError)
			}

			if _, err := f.engine.Redrive(ctx, "req-1"); err != nil {
				t.Fatalf("redrive: %v", err)
			}
			live := `{"endpoint_state":"CREATED","status":"Available"}`
			if err := f.engine.SendTaskSuccess(ctx, f.token(t), json.RawMessage(live)); err != nil {
				t.Fatalf("send task success after the redrive: %v", err)
			}
			x = f.wait(t, "req-1")
			if x.Status != engine.StatusSucceeded {
				t.Fatalf("status after the redrive %s (%s: %s), want %s", x.Status, x.Error, x.Cause, engine.StatusSucceeded)
			}
			var doc struct {
				Resources struct {
					EndpointLive map[string]string `json:"endpoint_live"`
				} `json:"resources"`
			}
			if err := json.Unmarshal(x.Output, &doc); err != nil {
				t.Fatalf("decode output %s: %v", x.Output, err)
			}
			if got := doc.Resources.EndpointLive["status"]; got != "Available" {
				t.Errorf("endpoint_live.status %q, want Available", got)
			}
		})
	}
}
