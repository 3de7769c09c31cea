package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

// TestDeliverOvertakenDelivery sends an older delivery of another request
// while a newer one has claimed the ticket and is starting its execution.
// The older one must start nothing, get a *webhook.StaleDeliveryError that
// names the newer execution, and leave the newer signed time.
func TestDeliverOvertakenDelivery(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)
	signed := func(hash, key string, at time.Time) webhook.Delivery {
		d := signedDelivery(hash, key, until)
		d.SignedAt = at
		return d
	}
	older := &starter{}
	var olderDone <-chan result

	newer := signed("h2", "kNew", now.Add(2*time.Second))
	got, err := store.Deliver(ctx, newer, func(context.Context) (string, error) {
		olderDone = deliverAsync(store, signed("h1", "kOld", now), older.start("DATA-1-r2"))
		return "DATA-1", nil
	})
	if err != nil || got.Execution != "DATA-1" {
		t.Fatalf("newer delivery = %+v, %v; want DATA-1 started", got, err)
	}

	res := <-olderDone
	var stale *webhook.StaleDeliveryError
	if !errors.As(res.err, &stale) {
		t.Fatalf("older delivery = %+v, %v; want a *webhook.StaleDeliveryError", res.out, res.err)
	}
	if stale.Execution != "DATA-1" {
		t.Errorf("older delivery names execution %q, want DATA-1", stale.Execution)
	}
	if n := older.calls.Load(); n != 0 {
		t.Errorf("older delivery called start %d times, want none", n)
	}

	_, err = store.Deliver(ctx, signed("h3", "kMid", now.Add(time.Second)), older.start("DATA-1-r3"))
	if !errors.As(err, &stale) || !stale.LatestSignedAt.Equal(now.Add(2*time.Second)) {
		t.Errorf("delivery signed before the newer one = %v, want a stale error at the newer signed time", err)
	}
}
