package gcf

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/functions/provisionendpoint"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

func TestNewEndpointReservations(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	opts := unreachableOptions()

	if got := newEndpointReservations(environment(map[string]string{envProject: "proj-one"}), opts, logger); got != nil {
		t.Errorf("reservations without a waits collection = %T, want nil", got)
	}

	misconfigured := newEndpointReservations(environment(map[string]string{envWaitsCollection: "waits"}), opts, logger)
	if misconfigured == nil {
		t.Fatal("reservations with a waits collection but no project = nil, want ones that fail")
	}
	_, err := misconfigured.Reserve(context.Background(), workflow.EndpointReservation{Account: "acme-prod", RequestID: "DATA-1", Limit: 5})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("Reserve error name = %q, want InvalidRequest (error %v)", got, err)
	}
	if err != nil && !strings.Contains(err.Error(), "neither REPOLINK_WAITS_PROJECT nor GOOGLE_CLOUD_PROJECT") {
		t.Errorf("Reserve error %q does not name the missing setting", err)
	}
	if err := misconfigured.Release(context.Background(), "acme-prod", "DATA-1", ""); workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("Release error = %v, want InvalidRequest", err)
	}

	invalid := newEndpointReservations(environment(map[string]string{envWaitsCollection: "waits/nested", envProject: "proj-one"}), opts, logger)
	_, err = invalid.Reserve(context.Background(), workflow.EndpointReservation{Account: "acme-prod", RequestID: "DATA-1", Limit: 5})
	if err == nil || !strings.Contains(err.Error(), `collection "waits/nested"`) {
		t.Errorf("Reserve with an invalid collection: error %v, want one naming the collection", err)
	}
}

// TestEndpointReservationsAcrossInstances reserves through the step
// environments of two function instances, as preflight, the endpoint step
// and teardown do, and checks that they share the places.
func TestEndpointReservationsAcrossInstances(t *testing.T) {
	opts := gcpsandbox.Start(t)
	vars := environment(map[string]string{envWaitsCollection: "waits", envProject: "proj-one"})
	logger := slog.New(slog.DiscardHandler)
	instance := func() *workflow.Env {
		return newAdapters(logger, opts, stores{
			waits:        newWaitRegistry(vars, opts, false, logger),
			reservations: newEndpointReservations(vars, opts, logger),
		}).env()
	}
	first, second := instance(), instance()
	if first.EndpointReservations == nil {
		t.Fatal("step environment has no endpoint reservations although the waits collection is set")
	}
	ctx := context.Background()
	four := gcpsandbox.ListedEndpoints(provisionendpoint.MaxEndpoints - 1)

	firstRequest, secondRequest := gcpsandbox.Request(t, "DATA-1"), gcpsandbox.Request(t, "DATA-2")
	if err := provisionendpoint.Reserve(ctx, first, firstRequest, "DATA-1", four, ""); err != nil {
		t.Fatalf("reserve the last place for DATA-1: %v", err)
	}
	err := provisionendpoint.Reserve(ctx, second, secondRequest, "DATA-2", four, "")
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("reserve for DATA-2 on the other instance: error name = %q, want Conflict (error %v)", got, err)
	}
	if !strings.Contains(err.Error(), "DATA-1") {
		t.Errorf("Conflict error %q does not name the run of DATA-1", err)
	}

	// The place is in the database, under the waits collection.
	store, err := gcpadapter.NewEndpointReservations(ctx, opts, gcpadapter.WaitsConfig{Project: "proj-one", Collection: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	result, err := store.Reserve(ctx, workflow.EndpointReservation{
		Account: firstRequest.Snowflake.Account, RequestID: "DATA-3", Listed: []string{"a", "b", "c", "d"},
		Limit: provisionendpoint.MaxEndpoints, Now: first.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if result.Reserved || len(result.Holders) != 1 || result.Holders[0] != "DATA-1" {
		t.Errorf("Reserve through a store of its own = %+v, want it rejected with holder DATA-1", result)
	}

	// Teardown of DATA-1 on the second instance frees the place.
	if err := provisionendpoint.Release(ctx, second, firstRequest); err != nil {
		t.Fatalf("release the place of DATA-1: %v", err)
	}
	if err := provisionendpoint.Reserve(ctx, second, secondRequest, "DATA-2", four, ""); err != nil {
		t.Errorf("reserve for DATA-2 after DATA-1 released its place: %v", err)
	}
}
