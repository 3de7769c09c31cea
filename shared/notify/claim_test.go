package notify

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// TestSendConcurrentNotifiersDeliverOnce lets two notifiers with their own
// handles on one store, as two processes on one state directory have,
// send the notification of the same closed execution at the same moment.
// The receiver responds slowly, so that both see the record pending.
func TestSendConcurrentNotifiersDeliverOnce(t *testing.T) {
	recv := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(100 * time.Millisecond)
		recv.ServeHTTP(w, req)
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "notify.db")
	x := closed("DATA-11-teardown", engine.StatusSucceeded, srv.URL, 0)

	var notifiers [2]*Notifier
	for i := range notifiers {
		store, err := OpenStore(path, startTime)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: testSecret, Sandbox: true})
		if err != nil {
			t.Fatal(err)
		}
		notifiers[i] = n
	}

	var records [2]Record
	var errs [2]error
	var wg sync.WaitGroup
	for i, n := range notifiers {
		wg.Go(func() {
			records[i], _, errs[i] = n.Send(context.Background(), x, 5*time.Second)
		})
	}
	wg.Wait()

	for i := range records {
		if errs[i] != nil {
			t.Errorf("Send of notifier %d: %v", i, errs[i])
		}
		if records[i].State != StateDelivered {
			t.Errorf("notifier %d returned state %q, want %q", i, records[i].State, StateDelivered)
		}
		if records[i].Attempts != 1 {
			t.Errorf("notifier %d returned %d attempts, want 1", i, records[i].Attempts)
		}
	}
	if got := recv.count(); got != 1 {
		t.Errorf("receiver got %d requests, want 1", got)
	}
}

// TestDeliverSkipsClaimedRecord claims a due notification as another
// notifier would during its attempt, and checks that Deliver leaves it
// until the claim ends, as when that notifier's process exited.
func TestDeliverSkipsClaimedRecord(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DATA-12", engine.StatusSucceeded, hookURL, 0)}
	ctx := context.Background()
	if err := h.notifier.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	rec := h.record(t, "DATA-12", 0)
	claimed, err := h.store.claim(ctx, rec, h.clock.now, h.clock.now.Add(claimFor), true)
	if err != nil || !claimed {
		t.Fatalf("claim = %v, %v, want the claim", claimed, err)
	}

	h.tick(t)
	if got := recv.count(); got != 0 {
		t.Errorf("receiver got %d requests during the claim, want 0", got)
	}

	h.clock.now = h.clock.now.Add(claimFor)
	h.tick(t)
	if got := recv.count(); got != 1 {
		t.Errorf("receiver got %d requests after the claim ended, want 1", got)
	}
	if rec := h.record(t, "DATA-12", 0); rec.State != StateDelivered {
		t.Errorf("state = %q, want %q", rec.State, StateDelivered)
	}
}

// TestOpenStoreAddsClaimColumn opens a store that an earlier version
// created without the claimed_until column and delivers from it.
func TestOpenStoreAddsClaimColumn(t *testing.T) {
	_, hookURL := startReceiver(t)
	path := filepath.Join(t.TempDir(), "notify.db")
	older, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	oldSchema := strings.Replace(storeSchema, "\tclaimed_until INTEGER NOT NULL DEFAULT 0,\n", "", 1)
	if oldSchema == storeSchema {
		t.Fatal("the schema has no claimed_until line to leave out")
	}
	if _, err := older.Exec(oldSchema); err != nil {
		t.Fatal(err)
	}
	older.Close()

	store, err := OpenStore(path, startTime)
	if err != nil {
		t.Fatalf("OpenStore of an earlier store: %v", err)
	}
	defer store.Close()
	n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: testSecret, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := n.Send(context.Background(), closed("DATA-13", engine.StatusSucceeded, hookURL, 0), time.Second)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rec.State != StateDelivered {
		t.Errorf("state = %q, want %q", rec.State, StateDelivered)
	}
}

// TestUpdateRejectsLapsedClaim lets one attempt outlive its claim while a
// second notifier claims the record, and checks that the late outcome of
// the first attempt overwrites neither the second claim nor its outcome.
func TestUpdateRejectsLapsedClaim(t *testing.T) {
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DATA-13", engine.StatusSucceeded, "http://127.0.0.1:1/hook", 0)}
	ctx := context.Background()
	if err := h.notifier.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	rec := h.record(t, "DATA-13", 0)

	firstUntil := h.clock.now.Add(claimFor)
	if claimed, err := h.store.claim(ctx, rec, h.clock.now, firstUntil, true); err != nil || !claimed {
		t.Fatalf("first claim = %v, %v, want the claim", claimed, err)
	}
	h.clock.now = firstUntil
	secondUntil := h.clock.now.Add(claimFor)
	if claimed, err := h.store.claim(ctx, rec, h.clock.now, secondUntil, true); err != nil || !claimed {
		t.Fatalf("second claim = %v, %v, want the claim", claimed, err)
	}

	late := rec
	late.Attempts++
	late.State = StateFailed
	late.LastError = "receiver responded 400"
	stored, err := h.store.update(ctx, late, rec.Attempts, firstUntil)
	if err != nil {
		t.Fatal(err)
	}
	if stored {
		t.Error("update with the lapsed first claim stored its outcome")
	}
	if got := h.record(t, "DATA-13", 0); got.State != StatePending {
		t.Errorf("state after the lapsed update = %q, want %q", got.State, StatePending)
	}

	current := rec
	current.Attempts++
	current.State = StateDelivered
	current.DeliveredAt = h.clock.now
	current.LastStatus = 204
	if stored, err := h.store.update(ctx, current, rec.Attempts, secondUntil); err != nil || !stored {
		t.Fatalf("update with the held second claim = %v, %v, want it stored", stored, err)
	}
	if stored, err := h.store.update(ctx, late, rec.Attempts, firstUntil); err != nil || stored {
		t.Errorf("lapsed update after the second outcome = %v, %v, want nothing stored", stored, err)
	}
	got := h.record(t, "DATA-13", 0)
	if got.State != StateDelivered {
		t.Errorf("state = %q, want %q", got.State, StateDelivered)
	}
	if got.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", got.Attempts)
	}
}
