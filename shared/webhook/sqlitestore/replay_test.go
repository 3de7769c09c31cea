package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/webhook"
)

// signedDelivery returns a delivery of a signed request, which goes back to
// an earlier request of its ticket unless the store recorded its replay key.
func signedDelivery(hash, key string, until time.Time) webhook.Delivery {
	d := delivery("DATA-1", hash)
	d.RerunEarlier = true
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

func TestDeliverReplays(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	steps := []struct {
		name      string
		hash, key string
		want      webhook.Outcome
		wantCalls int32
	}{
		{name: "request A", hash: "h1", key: "kA", want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}, wantCalls: 1},
		{name: "request B", hash: "h2", key: "kB", want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r2"}, wantCalls: 2},
		{name: "replay of A", hash: "h1", key: "kA", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1", Replay: true}, wantCalls: 2},
		{name: "retry of B", hash: "h2", key: "kB", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1-r2", Replay: true}, wantCalls: 2},
		{name: "B after a teardown", hash: "h2-after-teardown", key: "kB", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1-r2", Replay: true}, wantCalls: 2},
		{name: "A signed anew", hash: "h1", key: "kA2", want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r3"}, wantCalls: 3},
	}
	names := map[string]string{"h1": "DATA-1-r3", "h2": "DATA-1-r2", "h2-after-teardown": "DATA-1-r4"}
	st := &starter{}
	for i, step := range steps {
		name := names[step.hash]
		if i == 0 {
			name = "DATA-1"
		}
		got, err := store.Deliver(ctx, signedDelivery(step.hash, step.key, until), st.start(name))
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: outcome (-want +got):\n%s", step.name, diff)
		}
		if calls := st.calls.Load(); calls != step.wantCalls {
			t.Errorf("%s: start called %d times in all, want %d", step.name, calls, step.wantCalls)
		}
	}
}

func TestDeliverReplayRecordsExpire(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	st := &starter{}
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	if _, err := store.Deliver(ctx, signedDelivery("h1", "kA", until), st.start("DATA-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Deliver(ctx, signedDelivery("h2", "kB", until), st.start("DATA-1-r2")); err != nil {
		t.Fatal(err)
	}
	if n, err := store.ReplayCount(ctx); err != nil || n != 2 {
		t.Fatalf("replay records = %d, %v; want 2", n, err)
	}

	// Just before the expiry, the record of A still blocks its replay.
	now = until.Add(-time.Nanosecond)
	got, err := store.Deliver(ctx, signedDelivery("h1", "kA", until), st.start("DATA-1-r3"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Replay {
		t.Errorf("replay before the expiry: outcome %+v, want a replay", got)
	}

	// Once the records have expired, the next write deletes them, and a
	// repeat of A is no longer known as one. The receiver rejects it by
	// then, because its signed timestamp is older than MaxAge.
	now = until
	got, err = store.Deliver(ctx, signedDelivery("h3", "kC", now.Add(webhook.MaxAge+webhook.ReplayClockSkew)), st.start("DATA-1-r3"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != webhook.Started {
		t.Errorf("new delivery after the expiry: outcome %+v, want started", got)
	}
	if n, err := store.ReplayCount(ctx); err != nil || n != 1 {
		t.Errorf("replay records after the expiry = %d, %v; want 1, the new delivery's", n, err)
	}
	got, err = store.Deliver(ctx, signedDelivery("h2", "kB", until), st.start("DATA-1-r4"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Replay {
		t.Errorf("repeat after the expiry: outcome %+v, want no replay record", got)
	}
}

// TestReplayKeepsLatestSigned replays delivery A after delivery B, both
// signed in the same second. The replay must leave B as the ticket's
// latest signed delivery, so an older delivery names B's execution.
func TestReplayKeepsLatestSigned(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)
	st := &starter{}

	if _, err := store.Deliver(ctx, signedDeliveryAt("h1", "kA", now, until), st.start("DATA-1")); err != nil {
		t.Fatalf("A: %v", err)
	}
	if _, err := store.Deliver(ctx, signedDeliveryAt("h2", "kB", now, until), st.start("DATA-1-r2")); err != nil {
		t.Fatalf("B: %v", err)
	}
	got, err := store.Deliver(ctx, signedDeliveryAt("h1", "kA", now, until), st.start("DATA-1-r3"))
	if err != nil {
		t.Fatalf("replay of A: %v", err)
	}
	if !got.Replay || got.Execution != "DATA-1" {
		t.Errorf("replay of A = %+v, want a replay of DATA-1", got)
	}

	_, err = store.Deliver(ctx, signedDeliveryAt("h3", "kC", now.Add(-time.Second), until), st.start("DATA-1-r3"))
	var stale *webhook.StaleDeliveryError
	if !errors.As(err, &stale) {
		t.Fatalf("older delivery: error = %v, want a *webhook.StaleDeliveryError", err)
	}
	if stale.Execution != "DATA-1-r2" {
		t.Errorf("older delivery: blocking execution = %s, want DATA-1-r2 of the latest delivery B", stale.Execution)
	}
	if calls := st.calls.Load(); calls != 2 {
		t.Errorf("start called %d times, want 2", calls)
	}
}

// An older delivery of the request that the ticket's latest execution ran
// undoes nothing, so it is a duplicate, while an older delivery of another
// request is stale.
func TestDeliverOlderSameRequestDuplicate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{Now: func() time.Time { return now }})
	until := now.Add(time.Hour)
	st := &starter{}

	if _, err := store.Deliver(context.Background(), signedDeliveryAt("h1", "k-200", now, until), st.start("DATA-1")); err != nil {
		t.Fatal(err)
	}
	older := now.Add(-100 * time.Second)
	out, err := store.Deliver(context.Background(), signedDeliveryAt("h1", "k-100", older, until), st.start("DATA-1-r2"))
	if err != nil {
		t.Fatalf("older delivery of the same request: %v, want a duplicate", err)
	}
	if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1"}, out); diff != "" {
		t.Errorf("older delivery of the same request (-want +got):\n%s", diff)
	}

	_, err = store.Deliver(context.Background(), signedDeliveryAt("h2", "k-101", older, until), st.start("DATA-1-r2"))
	var stale *webhook.StaleDeliveryError
	if !errors.As(err, &stale) {
		t.Errorf("older delivery of another request: error %v, want a *webhook.StaleDeliveryError", err)
	}
	if got := st.calls.Load(); got != 1 {
		t.Errorf("start calls = %d, want 1", got)
	}
}
