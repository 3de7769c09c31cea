package gcp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

func newTestDeliveries(t *testing.T) *Deliveries {
	t.Helper()
	sim := startWaitsSim(t, "", 0)
	return openTestStore(t, sim, nil, func(ctx context.Context, opts Options, cfg WaitsConfig) (*Deliveries, error) {
		return NewDeliveries(ctx, opts, cfg, DeliveriesOptions{PollInterval: time.Millisecond})
	})
}

func delivery(hash string, rerun bool) webhook.Delivery {
	return webhook.Delivery{Source: "request", Ticket: "DATA-1", RequestHash: hash, RerunEarlier: rerun,
		ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func starter(name string, calls *atomic.Int32) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		calls.Add(1)
		return name, nil
	}
}

func TestDeliveriesDuplicate(t *testing.T) {
	store := newTestDeliveries(t)
	ctx := context.Background()
	var calls atomic.Int32

	first, err := store.Deliver(ctx, delivery("h1", false), starter("x1", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if first.Kind != webhook.Started || first.Execution != "x1" {
		t.Errorf("first delivery = %+v, want started x1", first)
	}
	again, err := store.Deliver(ctx, delivery("h1", false), starter("x2", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if again.Kind != webhook.Duplicate || again.Execution != "x1" || again.Latest != "" {
		t.Errorf("repeated delivery = %+v, want duplicate of x1", again)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("start called %d times, want 1", got)
	}
}

func TestDeliveriesEarlierRequest(t *testing.T) {
	store := newTestDeliveries(t)
	ctx := context.Background()
	var calls atomic.Int32
	for _, d := range []struct{ hash, name string }{{"h1", "x1"}, {"h2", "x2"}} {
		if _, err := store.Deliver(ctx, delivery(d.hash, false), starter(d.name, &calls)); err != nil {
			t.Fatal(err)
		}
	}

	late, err := store.Deliver(ctx, delivery("h1", false), starter("x3", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if late.Kind != webhook.Duplicate || late.Execution != "x1" || late.Latest != "x2" {
		t.Errorf("late delivery = %+v, want duplicate of x1 with latest x2", late)
	}
	rerun, err := store.Deliver(ctx, delivery("h1", true), starter("x3", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if rerun.Kind != webhook.Started || rerun.Execution != "x3" {
		t.Errorf("rerun delivery = %+v, want started x3", rerun)
	}
}

func TestDeliveriesStartFailure(t *testing.T) {
	store := newTestDeliveries(t)
	ctx := context.Background()
	failure := errors.New("start failed")

	_, err := store.Deliver(ctx, delivery("h1", false), func(context.Context) (string, error) { return "", failure })
	if !errors.Is(err, failure) {
		t.Fatalf("error = %v, want the start error", err)
	}
	var calls atomic.Int32
	out, err := store.Deliver(ctx, delivery("h1", false), starter("x1", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != webhook.Started || calls.Load() != 1 {
		t.Errorf("delivery after a failed start = %+v with %d starts, want one start", out, calls.Load())
	}
}

func TestDeliveriesConcurrentStartOnce(t *testing.T) {
	store := newTestDeliveries(t)
	var calls atomic.Int32
	start := func(context.Context) (string, error) {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond)
		return "x1", nil
	}

	var wg sync.WaitGroup
	outcomes := make([]webhook.Outcome, 4)
	errs := make([]error, 4)
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i], errs[i] = store.Deliver(context.Background(), delivery("h1", false), start)
		}()
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
		if outcomes[i].Execution != "x1" {
			t.Errorf("delivery %d = %+v, want execution x1", i, outcomes[i])
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("start called %d times, want 1", got)
	}
}

func TestDeliveriesExpiredClaim(t *testing.T) {
	store := newTestDeliveries(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store.opts.Now = func() time.Time { return now }
	ctx := context.Background()
	if _, _, err := store.claim(ctx, delivery("h1", false), "stopped-instance"); err != nil {
		t.Fatal(err)
	}

	now = now.Add(DefaultDeliveryClaimTimeout + time.Second)
	var calls atomic.Int32
	out, err := store.Deliver(ctx, delivery("h1", false), starter("x1", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != webhook.Started || calls.Load() != 1 {
		t.Errorf("delivery after an expired claim = %+v with %d starts, want one start", out, calls.Load())
	}
}
