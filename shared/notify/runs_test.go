package notify

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

func TestResendFailedNotification(t *testing.T) {
	recv := &receiver{statuses: []int{500, 500, 500}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DEAD-1", engine.StatusSucceeded, srv.URL+"/hook?token=s3cret", 0)}
	for range 4 {
		h.tick(t)
		h.clock.now = h.clock.now.Add(DefaultMaxDelay)
	}
	ctx := context.Background()

	runs, err := h.store.Runs(ctx, "DEAD-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("Runs returned %d records, want 1", len(runs))
	}
	v := NewView(runs[0])
	if v.State != StateFailed || v.Attempts != 3 || v.LastStatus != 500 {
		t.Errorf("view = %+v, want failed after 3 attempts with last status 500", v)
	}
	if strings.Contains(v.Receiver, "s3cret") || strings.Contains(v.LastError, "s3cret") {
		t.Errorf("view %+v contains the URL's query", v)
	}
	if v.NextAttemptAt != nil {
		t.Errorf("NextAttemptAt = %v for a failed notification, want none", v.NextAttemptAt)
	}

	if err := h.store.Resend(ctx, "DEAD-1", 0, h.clock.now); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	pending := NewView(h.record(t, "DEAD-1", 0))
	if pending.State != StatePending || pending.Attempts != 0 {
		t.Errorf("after Resend view = %+v, want pending with 0 attempts", pending)
	}
	if pending.NextAttemptAt == nil || !pending.NextAttemptAt.Equal(h.clock.now) {
		t.Errorf("after Resend NextAttemptAt = %v, want %v", pending.NextAttemptAt, h.clock.now)
	}

	h.tick(t)
	delivered := NewView(h.record(t, "DEAD-1", 0))
	if delivered.State != StateDelivered || delivered.DeliveredAt == nil {
		t.Errorf("after the next delivery view = %+v, want delivered with a time", delivered)
	}
	if recv.count() != 4 {
		t.Errorf("receiver got %d notifications, want 4", recv.count())
	}
	if err := h.store.Resend(ctx, "DEAD-1", 0, h.clock.now); !errors.Is(err, ErrNotFailed) {
		t.Errorf("Resend of a delivered notification = %v, want ErrNotFailed", err)
	}
	if err := h.store.Resend(ctx, "DEAD-1", 1, h.clock.now); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resend of a run without a notification = %v, want ErrNotFound", err)
	}
}

func TestOpenStoreReaderReadsRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	if _, err := OpenStoreReader(context.Background(), path); err == nil {
		t.Error("OpenStoreReader of a missing store succeeded, want an error")
	}
	store, err := OpenStore(path, startTime)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec := Record{Execution: "DATA-1", URL: "http://127.0.0.1:1/hook", Body: []byte(`{}`), State: StatePending, NextAt: startTime}
	if _, err := store.add(context.Background(), rec, startTime); err != nil {
		t.Fatal(err)
	}

	reader, err := OpenStoreReader(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenStoreReader: %v", err)
	}
	defer reader.Close()
	runs, err := reader.Runs(context.Background(), "DATA-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].State != StatePending {
		t.Errorf("Runs = %+v, want one pending record", runs)
	}
	if got := NewView(runs[0]).Receiver; got != "127.0.0.1:1" {
		t.Errorf("Receiver = %q, want 127.0.0.1:1", got)
	}
}
