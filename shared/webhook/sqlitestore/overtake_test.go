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
	older := &starter{}
	var olderDone <-chan result

	newer := signedDeliveryAt("h2", "kNew", now.Add(2*time.Second), until)
	got, err := store.Deliver(ctx, newer, func(context.Context) (string, error) {
		olderDone = deliverAsync(store, signedDeliveryAt("h1", "kOld", now, until), older.start("DATA-1-r2"))
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

	_, err = store.Deliver(ctx, signedDeliveryAt("h3", "kMid", now.Add(time.Second), until), older.start("DATA-1-r3"))
	if !errors.As(err, &stale) || !stale.LatestSignedAt.Equal(now.Add(2*time.Second)) {
		t.Errorf("delivery signed before the newer one = %v, want a stale error at the newer signed time", err)
	}
}

// TestDeliverOlderAfterClaimExpired sends an older delivery once the claim
// of a newer one has expired while its start still runs. The older one
// must not take the claim over and start.
func TestDeliverOlderAfterClaimExpired(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)
	signedAt := now.Add(time.Second)
	older := &starter{}
	var olderErr error

	got, err := store.Deliver(ctx, signedDeliveryAt("h2", "kNew", signedAt, until), func(context.Context) (string, error) {
		now = now.Add(DefaultClaimTimeout + time.Second)
		_, olderErr = store.Deliver(ctx, signedDeliveryAt("h1", "kOld", signedAt.Add(-time.Second), until), older.start("DATA-1-r2"))
		return "DATA-1", nil
	})
	if err != nil || got.Execution != "DATA-1" {
		t.Fatalf("newer delivery = %+v, %v; want DATA-1 started", got, err)
	}

	var stale *webhook.StaleDeliveryError
	if !errors.As(olderErr, &stale) {
		t.Fatalf("older delivery: error = %v, want a *webhook.StaleDeliveryError", olderErr)
	}
	if !stale.LatestSignedAt.Equal(signedAt) {
		t.Errorf("older delivery: latest signed at %s, want %s of the newer claim", stale.LatestSignedAt, signedAt)
	}
	if n := older.calls.Load(); n != 0 {
		t.Errorf("older delivery called start %d times, want none", n)
	}
	_, err = store.Deliver(ctx, signedDeliveryAt("h3", "kMid", signedAt.Add(-time.Second), until), older.start("DATA-1-r3"))
	if !errors.As(err, &stale) || stale.Execution != "DATA-1" {
		t.Errorf("delivery signed before the newer one = %v, want a stale error that names DATA-1", err)
	}
}

// TestOpenAddsClaimSignedAt opens a file whose claims table predates the
// signed_at column, and claims a ticket in it.
func TestOpenAddsClaimSignedAt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webhook.db")
	store := openTestStore(t, path, Options{})
	if _, err := store.db.Exec(`ALTER TABLE claims DROP COLUMN signed_at`); err != nil {
		t.Fatalf("drop column: %v", err)
	}
	store.Close()

	store = openTestStore(t, path, Options{})
	d := delivery("DATA-1", "h1")
	d.SignedAt = time.Unix(1_800_000_000, 0)
	st := &starter{}
	if _, err := store.Deliver(context.Background(), d, st.start("DATA-1")); err != nil {
		t.Errorf("deliver after reopening: %v", err)
	}
}
