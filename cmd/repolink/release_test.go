package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
)

// failingProvision replaces the provision machine with a run that fails
// before it builds an endpoint.
const failingProvision = `{"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Broken"}}}`

func TestClosedRunReleasesReservation(t *testing.T) {
	dir := t.TempDir()
	store, err := reservations.Open(filepath.Join(dir, "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rt := &runtime{reservations: store, logger: slog.New(slog.DiscardHandler)}
	rt.env = &workflow.Env{EndpointReservations: store}
	eng, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{
		PollInterval: 20 * time.Millisecond,
		OnEvent:      rt.releaseOnClose(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rt.engine = eng
	if err := eng.Define(provisionMachine, []byte(failingProvision)); err != nil {
		t.Fatal(err)
	}

	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	place := func(id string) workflow.EndpointReservation {
		return workflow.EndpointReservation{Account: "acme-prod", RequestID: id, Listed: four, Limit: 5, Now: time.Now()}
	}
	if got, err := store.Reserve(t.Context(), place("DATA-1")); err != nil || !got.Reserved {
		t.Fatalf("reserve DATA-1 = %+v, %v", got, err)
	}

	input, err := json.Marshal(workflow.Document{Request: request.Request{ID: "DATA-1", Snowflake: request.Snowflake{Account: "acme-prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(t.Context(), provisionMachine, "DATA-1", input); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	waitCtx, stop := context.WithTimeout(t.Context(), 30*time.Second)
	defer stop()
	x, err := eng.Wait(waitCtx, "DATA-1")
	if err != nil || x.Status != engine.StatusFailed {
		t.Fatalf("execution = %+v, %v, want FAILED", x, err)
	}

	if got, err := store.Reserve(t.Context(), place("DATA-2")); err != nil || !got.Reserved {
		t.Errorf("reserve DATA-2 after DATA-1 closed = %+v, %v, want the freed place", got, err)
	}
}
