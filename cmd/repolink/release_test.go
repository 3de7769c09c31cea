package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
)

// failingProvision replaces the provision machine with a run that fails
// before it builds an endpoint.
const failingProvision = `{"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Broken"}}}`

// endpointProvision replaces the provision machine with a run whose
// endpoint step calls the "endpoint" task, which blocks until the run is
// stopped or times out.
const endpointProvision = `{"StartAt": "Endpoint", "TimeoutSeconds": %d,
	"States": {"Endpoint": {"Type": "Task", "Resource": "endpoint", "End": true}}}`

// releaseFixture is an engine whose closing events go through
// releaseOnClose, and the reservation store that it releases places in.
type releaseFixture struct {
	rt     *runtime
	store  *reservations.Store
	engine *engine.Engine
	// closed receives the name of each execution once releaseOnClose has
	// handled its closing event.
	closed chan string
}

func newReleaseFixture(t *testing.T, definition string) *releaseFixture {
	t.Helper()
	dir := t.TempDir()
	store, err := reservations.Open(filepath.Join(dir, "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &releaseFixture{store: store, closed: make(chan string, 8)}
	f.rt = &runtime{reservations: store, logger: slog.New(slog.DiscardHandler)}
	f.rt.env = &workflow.Env{EndpointReservations: store}
	release := f.rt.releaseOnClose(nil)
	eng, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{
		PollInterval: 20 * time.Millisecond,
		OnEvent: func(ev engine.Event) {
			release(ev)
			if closingEvents[ev.Type] {
				f.closed <- ev.Execution
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	f.engine = eng
	f.rt.engine = eng
	if err := eng.Define(provisionMachine, []byte(definition)); err != nil {
		t.Fatal(err)
	}
	eng.Register("endpoint", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// place is a reservation by the named execution of the last free place
// of acme-prod, which has four endpoints of five.
func place(id, execution string) workflow.EndpointReservation {
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	return workflow.EndpointReservation{
		Account: "acme-prod", RequestID: id, Execution: execution,
		Listed: four, Limit: 5, Now: time.Now(),
	}
}

// reserve reserves a place for the first run of request id, which is
// named id.
func (f *releaseFixture) reserve(t *testing.T, id string) bool {
	t.Helper()
	return f.reserveAs(t, id, id)
}

func (f *releaseFixture) reserveAs(t *testing.T, id, execution string) bool {
	t.Helper()
	got, err := f.store.Reserve(t.Context(), place(id, execution))
	if err != nil {
		t.Fatalf("reserve %s as %s: %v", id, execution, err)
	}
	return got.Reserved
}

func (f *releaseFixture) start(t *testing.T, name, requestID string) {
	t.Helper()
	input, err := json.Marshal(workflow.Document{Request: request.Request{ID: requestID, Snowflake: request.Snowflake{Account: "acme-prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Start(t.Context(), provisionMachine, name, input); err != nil {
		t.Fatal(err)
	}
}

// waitClosed waits until releaseOnClose has handled the close of
// execution.
func (f *releaseFixture) waitClosed(t *testing.T, execution string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case name := <-f.closed:
			if name == execution {
				return
			}
		case <-timeout:
			t.Fatalf("execution %s did not close within 30 s", execution)
		}
	}
}

// waitTaskStarted waits until execution has started the task of state.
func (f *releaseFixture) waitTaskStarted(t *testing.T, execution, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		history, err := f.engine.History(t.Context(), execution)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range history {
			if ev.Type == "TaskStarted" && ev.State == state {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("execution %s did not start state %s within 30 s", execution, state)
}

func TestClosedRunReleasesReservation(t *testing.T) {
	f := newReleaseFixture(t, failingProvision)
	if !f.reserve(t, "DATA-1") {
		t.Fatal("reserve DATA-1 rejected for the last place")
	}
	f.start(t, "DATA-1", "DATA-1")
	f.waitClosed(t, "DATA-1")

	x, err := f.engine.Describe(t.Context(), "DATA-1")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != engine.StatusFailed {
		t.Fatalf("DATA-1 status = %s, want FAILED", x.Status)
	}
	if !f.reserve(t, "DATA-2") {
		t.Error("reserve DATA-2 after DATA-1 closed was rejected, want the freed place")
	}
}

func TestClosedRunKeepsPlaceOfNextRun(t *testing.T) {
	f := newReleaseFixture(t, failingProvision)
	if !f.reserveAs(t, "DATA-1", "DATA-1") {
		t.Fatal("reserve DATA-1 rejected for the last place")
	}
	// The next run of the request reserves before the first run closes.
	if !f.reserveAs(t, "DATA-1", "DATA-1-r2") {
		t.Fatal("reserve DATA-1 as DATA-1-r2 rejected")
	}
	f.start(t, "DATA-1", "DATA-1")
	f.waitClosed(t, "DATA-1")
	if f.reserve(t, "DATA-2") {
		t.Error("reserve DATA-2 took the place that DATA-1-r2 holds after DATA-1 closed")
	}

	f.start(t, "DATA-1-r2", "DATA-1")
	f.waitClosed(t, "DATA-1-r2")
	if !f.reserve(t, "DATA-2") {
		t.Error("reserve DATA-2 was rejected after DATA-1-r2 closed, want the freed place")
	}
}

func TestRunClosedInEndpointStepKeepsPlace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout int
		status  string
	}{
		{"stopped", 600, engine.StatusAborted},
		{"timed out", 1, engine.StatusTimedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newReleaseFixture(t, fmt.Sprintf(endpointProvision, tc.timeout))
			if !f.reserve(t, "DATA-1") {
				t.Fatal("reserve DATA-1 rejected for the last place")
			}
			f.start(t, "DATA-1", "DATA-1")
			f.waitTaskStarted(t, "DATA-1", provisionendpoint.EndpointState)
			if tc.status == engine.StatusAborted {
				if _, err := f.engine.Stop(t.Context(), "DATA-1", "", ""); err != nil {
					t.Fatal(err)
				}
			}
			f.waitClosed(t, "DATA-1")

			x, err := f.engine.Describe(t.Context(), "DATA-1")
			if err != nil {
				t.Fatal(err)
			}
			if x.Status != tc.status {
				t.Fatalf("DATA-1 status = %s, want %s", x.Status, tc.status)
			}
			if f.reserve(t, "DATA-2") {
				t.Error("reserve DATA-2 took the place of DATA-1, whose endpoint may still be created")
			}
		})
	}
}
