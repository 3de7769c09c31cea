package gcp

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/webhook"
)

func newReplayDeliveries(t *testing.T, now *time.Time) *Deliveries {
	t.Helper()
	sim := startWaitsSim(t, "", 0)
	return openTestStore(t, sim, nil, func(ctx context.Context, opts Options, cfg WaitsConfig) (*Deliveries, error) {
		return NewDeliveries(ctx, opts, cfg, DeliveriesOptions{PollInterval: time.Millisecond, Now: func() time.Time { return *now }})
	})
}

func signedDelivery(hash, key string, until time.Time) webhook.Delivery {
	d := delivery(hash, true)
	d.ReplayKey = key
	d.ReplayUntil = until
	return d
}

// signedDeliveryAt returns signedDelivery(hash, key, until) signed at
// signedAt.
func signedDeliveryAt(hash, key string, signedAt, until time.Time) webhook.Delivery {
	d := signedDelivery(hash, key, until)
	d.SignedAt = signedAt
	return d
}

func TestDeliveriesReplay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := newReplayDeliveries(t, &now)
	ctx := context.Background()
	var calls atomic.Int32
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	steps := []struct {
		name, hash, key, execution string
		want                       webhook.Outcome
		wantCalls                  int32
	}{
		{name: "request A", hash: "h1", key: "kA", execution: "x1", want: webhook.Outcome{Kind: webhook.Started, Execution: "x1"}, wantCalls: 1},
		{name: "request B", hash: "h2", key: "kB", execution: "x2", want: webhook.Outcome{Kind: webhook.Started, Execution: "x2"}, wantCalls: 2},
		{name: "replay of A", hash: "h1", key: "kA", execution: "x3", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "x1", Replay: true}, wantCalls: 2},
		{name: "retry of B", hash: "h2", key: "kB", execution: "x3", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "x2", Replay: true}, wantCalls: 2},
		{name: "B after a teardown", hash: "h2-after-teardown", key: "kB", execution: "x3", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "x2", Replay: true}, wantCalls: 2},
		{name: "A signed anew", hash: "h1", key: "kA2", execution: "x3", want: webhook.Outcome{Kind: webhook.Started, Execution: "x3"}, wantCalls: 3},
	}
	for _, step := range steps {
		got, err := store.Deliver(ctx, signedDelivery(step.hash, step.key, until), starter(step.execution, &calls))
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: outcome (-want +got):\n%s", step.name, diff)
		}
		if n := calls.Load(); n != step.wantCalls {
			t.Errorf("%s: start called %d times in all, want %d", step.name, n, step.wantCalls)
		}
	}
}

func TestDeliveriesReplayRecordsExpire(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := newReplayDeliveries(t, &now)
	ctx := context.Background()
	var calls atomic.Int32
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	for _, d := range []webhook.Delivery{signedDelivery("h1", "kA", until), signedDelivery("h2", "kB", until)} {
		if _, err := store.Deliver(ctx, d, starter("x-"+d.RequestHash, &calls)); err != nil {
			t.Fatal(err)
		}
	}
	if keys := replayKeys(t, store); len(keys) != 2 {
		t.Fatalf("replay records = %v, want kA and kB", keys)
	}

	now = until
	got, err := store.Deliver(ctx, signedDelivery("h3", "kC", now.Add(webhook.MaxAge)), starter("x-h3", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != webhook.Started {
		t.Errorf("new delivery after the expiry: outcome %+v, want started", got)
	}
	if diff := cmp.Diff([]string{"kC"}, replayKeys(t, store)); diff != "" {
		t.Errorf("replay records after the expiry (-want +got):\n%s", diff)
	}
	got, err = store.Deliver(ctx, signedDelivery("h1", "kA", until), starter("x-h1-again", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if got.Replay {
		t.Errorf("repeat after the expiry: outcome %+v, want no replay record", got)
	}
}

// replayKeys returns the replay keys that the ticket document of DATA-1
// holds.
func replayKeys(t *testing.T, store *Deliveries) []string {
	t.Helper()
	doc, err := store.get(context.Background(), store.TicketName("DATA-1"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := decodeTicket(doc, "DATA-1")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rec.Replays {
		keys = append(keys, r.Key)
	}
	return keys
}

// TestDeliveriesStaleDelivery checks that a signed delivery without a
// replay record, signed before the ticket's latest accepted one, starts
// nothing and names that one's execution.
func TestDeliveriesStaleDelivery(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := newReplayDeliveries(t, &now)
	ctx := context.Background()
	var calls atomic.Int32
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	if _, err := store.Deliver(ctx, signedDeliveryAt("h1", "kA", now, until), starter("x1", &calls)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Deliver(ctx, signedDeliveryAt("h3", "kC", now.Add(2*time.Second), until), starter("x2", &calls)); err != nil {
		t.Fatal(err)
	}

	_, err := store.Deliver(ctx, signedDeliveryAt("h2", "kB", now.Add(time.Second), until), starter("x3", &calls))
	var stale *webhook.StaleDeliveryError
	if !errors.As(err, &stale) {
		t.Fatalf("delivery signed before the latest: error = %v, want a *webhook.StaleDeliveryError", err)
	}
	if stale.Execution != "x2" {
		t.Errorf("stale delivery names execution %q, want x2", stale.Execution)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("start called %d times, want 2", n)
	}

	got, err := store.Deliver(ctx, signedDeliveryAt("h1", "kA", now, until), starter("x3", &calls))
	if err != nil || !got.Replay || got.Execution != "x1" {
		t.Errorf("replay of the first delivery = %+v, %v; want its replay record with x1", got, err)
	}
	got, err = store.Deliver(ctx, signedDeliveryAt("h2", "kB2", now.Add(2*time.Second), until), starter("x3", &calls))
	if err != nil || got.Kind != webhook.Started {
		t.Errorf("delivery signed in the latest second = %+v, %v; want started", got, err)
	}
}
