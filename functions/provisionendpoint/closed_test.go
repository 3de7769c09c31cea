package provisionendpoint

import (
	"encoding/json"
	"errors"
	"iter"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// states yields names as the states that a run entered.
func states(names ...string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, name := range names {
			if !yield(name, nil) {
				return
			}
		}
	}
}

// closedFixture is a reservation store whose last place of acme-prod the
// execution DATA-1 of request DATA-1 holds.
func closedFixture(t *testing.T) (*workflow.Env, request.Request) {
	t.Helper()
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := &workflow.Env{EndpointReservations: store, Now: time.Now}
	req := endpointDocument("DATA-1", "").Request
	if err := Reserve(t.Context(), env, req, "DATA-1", fourEndpoints(), ""); err != nil {
		t.Fatalf("reserve DATA-1: %v", err)
	}
	return env, req
}

func fourEndpoints() []EndpointInfo {
	return endpointsFor("a.example.com", "b.example.com", "c.example.com", "d.example.com")
}

// lastPlaceFree reports whether DATA-2 can reserve the last place.
func lastPlaceFree(t *testing.T, env *workflow.Env) bool {
	t.Helper()
	err := Reserve(t.Context(), env, endpointDocument("DATA-2", "").Request, "DATA-2", fourEndpoints(), "")
	if err != nil && workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("reserve DATA-2: %v", err)
	}
	return err == nil
}

func TestReleaseClosedBeforeEndpoint(t *testing.T) {
	env, req := closedFixture(t)
	kept, err := ReleaseClosed(t.Context(), env, req, "DATA-1", states("Preflight", "ProxyVM"))
	if err != nil {
		t.Fatalf("ReleaseClosed: %v", err)
	}
	if kept {
		t.Error("kept = true for a run that never entered the endpoint step")
	}
	if !lastPlaceFree(t, env) {
		t.Error("DATA-2 cannot reserve the place that DATA-1 released")
	}
}

func TestReleaseClosedKeepsEnteredEndpoint(t *testing.T) {
	env, req := closedFixture(t)
	kept, err := ReleaseClosed(t.Context(), env, req, "DATA-1", states("Preflight", EndpointState, "AwaitEndpoint", "Preflight"))
	if err != nil {
		t.Fatalf("ReleaseClosed: %v", err)
	}
	if !kept {
		t.Error("kept = false for a run that entered the endpoint step")
	}
	if lastPlaceFree(t, env) {
		t.Error("DATA-2 took the place of DATA-1, whose endpoint Snowflake may still create")
	}
}

func TestReleaseClosedKeepsLaterRun(t *testing.T) {
	env, req := closedFixture(t)
	if err := Reserve(t.Context(), env, req, "DATA-1-r2", fourEndpoints(), ""); err != nil {
		t.Fatalf("reserve DATA-1 as DATA-1-r2: %v", err)
	}
	if _, err := ReleaseClosed(t.Context(), env, req, "DATA-1", states("Preflight")); err != nil {
		t.Fatalf("ReleaseClosed: %v", err)
	}
	if lastPlaceFree(t, env) {
		t.Error("DATA-2 took the place that DATA-1-r2 holds after DATA-1 closed")
	}
}

func TestReleaseClosedHistoryError(t *testing.T) {
	env, req := closedFixture(t)
	failed := errors.New("history unavailable")
	entered := func(yield func(string, error) bool) {
		if yield("Preflight", nil) {
			yield("", failed)
		}
	}
	if _, err := ReleaseClosed(t.Context(), env, req, "DATA-1", entered); !errors.Is(err, failed) {
		t.Errorf("error = %v, want the history error", err)
	}
	if lastPlaceFree(t, env) {
		t.Error("DATA-2 took the place of DATA-1 although its history could not be read")
	}
}

func TestReleaseClosedWithoutExecution(t *testing.T) {
	env, req := closedFixture(t)
	if _, err := ReleaseClosed(t.Context(), env, req, "", states("Preflight")); workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("error = %v, want InvalidRequest", err)
	}
	if lastPlaceFree(t, env) {
		t.Error("DATA-2 took the place of DATA-1 after a release without an execution")
	}
}

func TestReleaseClosedWithoutStore(t *testing.T) {
	_, req := closedFixture(t)
	if _, err := ReleaseClosed(t.Context(), &workflow.Env{}, req, "DATA-1", states("Preflight")); err != nil {
		t.Errorf("ReleaseClosed without a reservation store: %v", err)
	}
}

func TestEndpointStateProvisions(t *testing.T) {
	var definition struct {
		States map[string]struct {
			Type     string
			Resource string
		}
	}
	if err := json.Unmarshal(statemachines.Provision, &definition); err != nil {
		t.Fatal(err)
	}
	state, ok := definition.States[EndpointState]
	if !ok {
		t.Fatalf("provision machine has no state %q", EndpointState)
	}
	if state.Type != "Task" {
		t.Errorf("state %s type = %q, want Task", EndpointState, state.Type)
	}
	if state.Resource != "${endpoint}" {
		t.Errorf("state %s resource = %q, want ${endpoint}", EndpointState, state.Resource)
	}
}
