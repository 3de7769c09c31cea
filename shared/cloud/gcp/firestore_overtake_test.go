package gcp

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

// TestDeliveriesOvertakenDelivery sends an older delivery of another
// request while a newer one has claimed the ticket and is starting its
// execution. The older one must start nothing, get a
// *webhook.StaleDeliveryError that names the newer execution, and leave
// the newer signed time.
func TestDeliveriesOvertakenDelivery(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := newReplayDeliveries(t, &now)
	ctx := context.Background()
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)
	var olderCalls atomic.Int32
	olderDone := make(chan error, 1)

	newer := signedDeliveryAt("h2", "kNew", now.Add(time.Second), until)
	got, err := store.Deliver(ctx, newer, func(context.Context) (string, error) {
		go func() {
			_, err := store.Deliver(ctx, signedDeliveryAt("h1", "kOld", now, until), starter("x-old", &olderCalls))
			olderDone <- err
		}()
		return "x-new", nil
	})
	if err != nil || got.Execution != "x-new" {
		t.Fatalf("newer delivery = %+v, %v; want x-new started", got, err)
	}

	err = <-olderDone
	var stale *webhook.StaleDeliveryError
	if !errors.As(err, &stale) {
		t.Fatalf("older delivery: error = %v, want a *webhook.StaleDeliveryError", err)
	}
	if stale.Execution != "x-new" {
		t.Errorf("older delivery names execution %q, want x-new", stale.Execution)
	}
	if n := olderCalls.Load(); n != 0 {
		t.Errorf("older delivery called start %d times, want none", n)
	}

	_, err = store.Deliver(ctx, signedDeliveryAt("h3", "kMid", now.Add(time.Second/2), until), starter("x-mid", &olderCalls))
	if !errors.As(err, &stale) || !stale.LatestSignedAt.Equal(now.Add(time.Second)) {
		t.Errorf("delivery signed before the newer one = %v, want a stale error at the newer signed time %s", err, now.Add(time.Second))
	}
}

// TestDeliveriesOlderAfterClaimExpired sends an older delivery once the
// claim of a newer one has expired while its start still runs. The older
// one must not take the claim over and start.
func TestDeliveriesOlderAfterClaimExpired(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := newReplayDeliveries(t, &now)
	ctx := context.Background()
	until := now.Add(webhook.MaxAge + webhook.ReplayClockSkew)
	signedAt := now.Add(time.Second)
	var olderCalls atomic.Int32
	var olderErr error

	got, err := store.Deliver(ctx, signedDeliveryAt("h2", "kNew", signedAt, until), func(context.Context) (string, error) {
		now = now.Add(DefaultDeliveryClaimTimeout + time.Second)
		_, olderErr = store.Deliver(ctx, signedDeliveryAt("h1", "kOld", signedAt.Add(-time.Second), until), starter("x-old", &olderCalls))
		return "x-new", nil
	})
	if err != nil || got.Execution != "x-new" {
		t.Fatalf("newer delivery = %+v, %v; want x-new started", got, err)
	}

	var stale *webhook.StaleDeliveryError
	if !errors.As(olderErr, &stale) {
		t.Fatalf("older delivery: error = %v, want a *webhook.StaleDeliveryError", olderErr)
	}
	if !stale.LatestSignedAt.Equal(signedAt) {
		t.Errorf("older delivery: latest signed at %s, want %s of the newer claim", stale.LatestSignedAt, signedAt)
	}
	if n := olderCalls.Load(); n != 0 {
		t.Errorf("older delivery called start %d times, want none", n)
	}
	_, err = store.Deliver(ctx, signedDeliveryAt("h3", "kMid", signedAt.Add(-time.Second), until), starter("x-mid", &olderCalls))
	if !errors.As(err, &stale) || stale.Execution != "x-new" {
		t.Errorf("delivery signed before the newer one = %v, want a stale error that names x-new", err)
	}
}
