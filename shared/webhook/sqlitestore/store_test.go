package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/webhook"
)

func openTestStore(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func delivery(ticket, hash string) webhook.Delivery {
	return webhook.Delivery{Source: "request", Ticket: ticket, Event: "request", RequestHash: hash,
		ReceivedAt: time.Unix(1_800_000_000, 0)}
}

// starter is a start function that counts its calls and, when gate is set,
// blocks until gate closes.
type starter struct {
	calls   atomic.Int32
	entered chan string
	gate    chan struct{}
	err     error
}

func (s *starter) start(name string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		s.calls.Add(1)
		if s.entered != nil {
			s.entered <- name
		}
		if s.gate != nil {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		if s.err != nil {
			return "", s.err
		}
		return name, nil
	}
}

func TestDeliverOutcomes(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	st := &starter{}
	ctx := context.Background()

	steps := []struct {
		name string
		hash string
		want webhook.Outcome
	}{
		{name: "first delivery", hash: "h1", want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}},
		{name: "same request", hash: "h1", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1"}},
		{name: "other request", hash: "h2", want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r2"}},
		{name: "other request again", hash: "h2", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1-r2"}},
		{name: "earlier request", hash: "h1", want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1", Latest: "DATA-1-r2"}},
	}
	for _, step := range steps {
		got, err := store.Deliver(ctx, delivery("DATA-1", step.hash), st.start(map[string]string{"h1": "DATA-1", "h2": "DATA-1-r2"}[step.hash]))
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: outcome (-want +got):\n%s", step.name, diff)
		}
	}
	if got := st.calls.Load(); got != 2 {
		t.Errorf("start calls = %d, want 2", got)
	}
	if n, err := store.DeliveryCount(ctx, "DATA-1"); err != nil || n != 5 {
		t.Errorf("recorded deliveries = %d (%v), want 5", n, err)
	}
}

// TestDeliverRerunEarlier checks that a delivery with RerunEarlier starts
// an earlier request of the ticket again, and that a repeat of it is then
// a duplicate of the new execution.
func TestDeliverRerunEarlier(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	st := &starter{}
	ctx := context.Background()

	steps := []struct {
		name      string
		hash      string
		execution string
		want      webhook.Outcome
	}{
		{name: "first request", hash: "h1", execution: "DATA-1",
			want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}},
		{name: "other request", hash: "h2", execution: "DATA-1-r2",
			want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r2"}},
		{name: "earlier request", hash: "h1", execution: "DATA-1-r3",
			want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r3"}},
		{name: "earlier request again", hash: "h1",
			want: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1-r3"}},
		{name: "other request again", hash: "h2", execution: "DATA-1-r4",
			want: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r4"}},
	}
	for _, step := range steps {
		d := delivery("DATA-1", step.hash)
		d.RerunEarlier = true
		got, err := store.Deliver(ctx, d, st.start(step.execution))
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: outcome (-want +got):\n%s", step.name, diff)
		}
	}
	if got := st.calls.Load(); got != 4 {
		t.Errorf("start calls = %d, want 4", got)
	}
}

func TestDeliverFailedStartReleasesClaim(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	ctx := context.Background()
	errDown := errors.New("engine unavailable")

	failing := &starter{err: errDown}
	if _, err := store.Deliver(ctx, delivery("DATA-1", "h1"), failing.start("DATA-1")); !errors.Is(err, errDown) {
		t.Fatalf("Deliver with a failing start returned %v, want %v", err, errDown)
	}
	if n, err := store.DeliveryCount(ctx, "DATA-1"); err != nil || n != 0 {
		t.Errorf("recorded deliveries after the failed start = %d (%v), want 0", n, err)
	}

	working := &starter{}
	got, err := store.Deliver(ctx, delivery("DATA-1", "h1"), working.start("DATA-1"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}, got); diff != "" {
		t.Errorf("outcome of the redelivery (-want +got):\n%s", diff)
	}
}

// result is what one Deliver call returned.
type result struct {
	out webhook.Outcome
	err error
}

func deliverAsync(store *Store, d webhook.Delivery, start func(context.Context) (string, error)) <-chan result {
	done := make(chan result, 1)
	go func() {
		out, err := store.Deliver(context.Background(), d, start)
		done <- result{out, err}
	}()
	return done
}

func TestDeliverRacingDeliveriesStartOnce(t *testing.T) {
	tests := []struct {
		name string
		// twoFiles opens the second delivery's store separately, as a
		// second process sharing the file would.
		twoFiles bool
		// exclusive opens the store with Options.Exclusive, as repolink
		// up does.
		exclusive bool
		// failFirst makes the first start fail, so that the waiting
		// delivery starts the ticket itself.
		failFirst bool
		wantFirst webhook.Outcome
		wantOther webhook.Outcome
		wantCalls int32
	}{
		{name: "one process", wantCalls: 1,
			wantFirst: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"},
			wantOther: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1"}},
		{name: "one exclusive process", exclusive: true, wantCalls: 1,
			wantFirst: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"},
			wantOther: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1"}},
		{name: "two processes", twoFiles: true, wantCalls: 1,
			wantFirst: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"},
			wantOther: webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1"}},
		{name: "first start fails", failFirst: true, wantCalls: 2,
			wantOther: webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "webhook.db")
				first := openTestStore(t, path, Options{Exclusive: tt.exclusive})
				other := first
				if tt.twoFiles {
					other = openTestStore(t, path, Options{})
				}
				blocked := &starter{entered: make(chan string, 1), gate: make(chan struct{})}
				if tt.failFirst {
					blocked.err = errors.New("engine unavailable")
				}
				second := &starter{}

				firstDone := deliverAsync(first, delivery("DATA-1", "h1"), blocked.start("DATA-1"))
				<-blocked.entered
				otherDone := deliverAsync(other, delivery("DATA-1", "h1"), second.start("DATA-1"))
				synctest.Wait()
				select {
				case r := <-otherDone:
					t.Fatalf("second delivery returned %+v while the first start ran, want it to wait", r)
				default:
				}

				close(blocked.gate)
				firstResult, otherResult := <-firstDone, <-otherDone
				if tt.failFirst {
					if firstResult.err == nil {
						t.Errorf("first delivery succeeded, want the start error")
					}
				} else if firstResult.err != nil {
					t.Errorf("first delivery: %v", firstResult.err)
				}
				if otherResult.err != nil {
					t.Errorf("second delivery: %v", otherResult.err)
				}
				if diff := cmp.Diff(tt.wantFirst, firstResult.out); diff != "" {
					t.Errorf("first outcome (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantOther, otherResult.out); diff != "" {
					t.Errorf("second outcome (-want +got):\n%s", diff)
				}
				if got := blocked.calls.Load() + second.calls.Load(); got != tt.wantCalls {
					t.Errorf("start calls = %d, want %d", got, tt.wantCalls)
				}
			})
		})
	}
}

func TestDeliverOtherTicketsProceedDuringSlowStart(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	slow := &starter{entered: make(chan string, 1), gate: make(chan struct{})}
	slowDone := deliverAsync(store, delivery("SLOW-1", "h1"), slow.start("SLOW-1"))
	<-slow.entered

	// Each of these deliveries would wait for the slow start if the store
	// held a transaction, or its only connection, while start runs. The
	// deadline turns that wait into a failure instead of a hung test.
	fast := &starter{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ticket := range []string{"FAST-1", "FAST-2", "FAST-3"} {
		got, err := store.Deliver(ctx, delivery(ticket, "h1"), fast.start(ticket))
		if err != nil {
			t.Fatalf("deliver %s: %v", ticket, err)
		}
		if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: ticket}, got); diff != "" {
			t.Errorf("outcome of %s (-want +got):\n%s", ticket, diff)
		}
	}
	select {
	case r := <-slowDone:
		t.Fatalf("slow delivery returned %+v before its start finished", r)
	default:
	}

	close(slow.gate)
	if r := <-slowDone; r.err != nil || r.out.Kind != webhook.Started {
		t.Errorf("slow delivery = %+v, %v; want started", r.out, r.err)
	}
}

// leaveClaim records the claim of a delivery of ticket in the store at
// path, as a process that died mid-start leaves it behind.
func leaveClaim(t *testing.T, path, ticket string, timeout time.Duration) {
	t.Helper()
	crashed, err := Open(path, Options{ClaimTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer crashed.Close()
	if _, err := crashed.claim(context.Background(), delivery(ticket, "h1"), "crashed-owner"); err != nil {
		t.Fatal(err)
	}
}

func TestDeliverExpiredClaimTakenOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "webhook.db")
		store := openTestStore(t, path, Options{ClaimTimeout: time.Minute})
		leaveClaim(t, path, "DATA-1", time.Minute)

		// The store cannot tell a dead process from a slow one, so a
		// delivery gives up after HeldClaimWait.
		st := &starter{}
		start := time.Now()
		_, err := store.Deliver(context.Background(), delivery("DATA-1", "h1"), st.start("DATA-1"))
		var held *webhook.ClaimHeldError
		if !errors.As(err, &held) {
			t.Fatalf("delivery before the claim expired: error %v, want a *webhook.ClaimHeldError", err)
		}
		if waited := time.Since(start); waited != DefaultHeldClaimWait {
			t.Errorf("delivery before the claim expired waited %v, want %v", waited, DefaultHeldClaimWait)
		}
		if want := start.Add(time.Minute); !held.ExpiresAt.Equal(want) {
			t.Errorf("ClaimHeldError.ExpiresAt = %v, want %v", held.ExpiresAt, want)
		}
		if got := st.calls.Load(); got != 0 {
			t.Fatalf("start calls before the claim expired = %d, want 0", got)
		}

		time.Sleep(time.Minute - DefaultHeldClaimWait)
		out, err := store.Deliver(context.Background(), delivery("DATA-1", "h1"), st.start("DATA-1"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}, out); diff != "" {
			t.Errorf("outcome (-want +got):\n%s", diff)
		}
		if got := st.calls.Load(); got != 1 {
			t.Errorf("start calls = %d, want 1", got)
		}
	})
}

// An exclusive store takes over the unexpired claim of an ended process at
// once, so a restarted service does not block the ticket until it expires.
func TestDeliverEndedProcessClaimTakenOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "webhook.db")
		leaveClaim(t, path, "DATA-1", DefaultClaimTimeout)
		store := openTestStore(t, path, Options{Exclusive: true})

		st := &starter{}
		start := time.Now()
		out, err := store.Deliver(context.Background(), delivery("DATA-1", "h1"), st.start("DATA-1"))
		if err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("delivery waited %v for the claim of an ended process, want no wait", waited)
		}
		if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1"}, out); diff != "" {
			t.Errorf("outcome (-want +got):\n%s", diff)
		}
		if got := st.calls.Load(); got != 1 {
			t.Errorf("start calls = %d, want 1", got)
		}
	})
}

// A delivery whose start outlives its claim records its run after a later
// delivery of a changed request took the ticket over and recorded its own.
// The later request stays the ticket's latest.
func TestDeliverLateRecordKeepsLaterRequestLatest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{ClaimTimeout: time.Minute})
		slow := &starter{entered: make(chan string, 1), gate: make(chan struct{})}
		first := delivery("DATA-1", "h1")
		firstDone := deliverAsync(store, first, slow.start("DATA-1"))
		<-slow.entered

		time.Sleep(2 * time.Minute)
		changed := delivery("DATA-1", "h2")
		changed.ReceivedAt = first.ReceivedAt.Add(2 * time.Minute)
		out, err := store.Deliver(context.Background(), changed, (&starter{}).start("DATA-1-r2"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r2"}, out); diff != "" {
			t.Fatalf("changed request (-want +got):\n%s", diff)
		}

		close(slow.gate)
		if r := <-firstDone; r.err != nil {
			t.Fatalf("slow delivery: %v", r.err)
		}

		again := changed
		again.ReceivedAt = changed.ReceivedAt.Add(time.Minute)
		out, err = store.Deliver(context.Background(), again, (&starter{}).start("unexpected"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1-r2"}, out); diff != "" {
			t.Errorf("redelivery of the changed request (-want +got):\n%s", diff)
		}
		earlier := first
		earlier.ReceivedAt = again.ReceivedAt
		out, err = store.Deliver(context.Background(), earlier, (&starter{}).start("unexpected"))
		if err != nil {
			t.Fatal(err)
		}
		want := webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1", Latest: "DATA-1-r2"}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("redelivery of the first request (-want +got):\n%s", diff)
		}
	})
}

func TestDeliverWaitEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
		blocked := &starter{entered: make(chan string, 1), gate: make(chan struct{})}
		firstDone := deliverAsync(store, delivery("DATA-1", "h1"), blocked.start("DATA-1"))
		<-blocked.entered

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		second := &starter{}
		_, err := store.Deliver(ctx, delivery("DATA-1", "h1"), second.start("DATA-1"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Deliver while another start runs past the deadline returned %v, want %v", err, context.DeadlineExceeded)
		}
		if got := second.calls.Load(); got != 0 {
			t.Errorf("start calls of the timed-out delivery = %d, want 0", got)
		}

		close(blocked.gate)
		if r := <-firstDone; r.err != nil {
			t.Errorf("first delivery: %v", r.err)
		}
	})
}

func TestDeliverManyConcurrentTickets(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	st := &starter{}
	tickets := []string{"DATA-1", "DATA-2", "DATA-3", "DATA-4", "DATA-5"}
	const perTicket = 20

	var mu sync.Mutex
	kinds := map[string]map[string]int{}
	var wg sync.WaitGroup
	for i := range len(tickets) * perTicket {
		ticket := tickets[i%len(tickets)]
		wg.Go(func() {
			out, err := store.Deliver(context.Background(), delivery(ticket, "h1"), st.start(ticket))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if kinds[ticket] == nil {
				kinds[ticket] = map[string]int{}
			}
			kinds[ticket][out.Kind]++
		})
	}
	wg.Wait()

	want := map[string]map[string]int{}
	for _, ticket := range tickets {
		want[ticket] = map[string]int{webhook.Started: 1, webhook.Duplicate: perTicket - 1}
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("outcomes per ticket (-want +got):\n%s", diff)
	}
	if got := st.calls.Load(); got != int32(len(tickets)) {
		t.Errorf("start calls = %d, want %d", got, len(tickets))
	}
}

func TestDeliverChangedRequestStartFails(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	ctx := context.Background()
	if _, err := store.Deliver(ctx, delivery("DATA-1", "h1"), (&starter{}).start("DATA-1")); err != nil {
		t.Fatal(err)
	}

	running := &webhook.RunningError{Ticket: "DATA-1", Execution: "DATA-1"}
	_, err := store.Deliver(ctx, delivery("DATA-1", "h2"), (&starter{err: running}).start("DATA-1-r2"))
	if !errors.Is(err, running) {
		t.Fatalf("changed request while DATA-1 runs: error %v, want %v", err, running)
	}

	// The first request is still the ticket's latest, and the changed
	// request starts once the earlier execution lets it.
	got, err := store.Deliver(ctx, delivery("DATA-1", "h1"), (&starter{}).start("unexpected"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1"}, got); diff != "" {
		t.Errorf("first request again (-want +got):\n%s", diff)
	}
	got, err = store.Deliver(ctx, delivery("DATA-1", "h2"), (&starter{}).start("DATA-1-r2"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r2"}, got); diff != "" {
		t.Errorf("changed request after the failed start (-want +got):\n%s", diff)
	}
}

// TestDeliverKeepsTicketOfEarlierFile checks a ticket that a file without
// the runs table recorded: its execution stays known after the ticket
// changes.
func TestDeliverKeepsTicketOfEarlierFile(t *testing.T) {
	store := openTestStore(t, filepath.Join(t.TempDir(), "webhook.db"), Options{})
	ctx := context.Background()
	_, err := store.db.ExecContext(ctx, `INSERT INTO tickets (ticket, request_hash, execution, source, created_at)
		VALUES ('DATA-1', 'h1', 'DATA-1', 'request', 1)`)
	if err != nil {
		t.Fatal(err)
	}

	got, err := store.Deliver(ctx, delivery("DATA-1", "h2"), (&starter{}).start("DATA-1-r2"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Started, Execution: "DATA-1-r2"}, got); diff != "" {
		t.Errorf("changed request (-want +got):\n%s", diff)
	}
	got, err = store.Deliver(ctx, delivery("DATA-1", "h1"), (&starter{}).start("unexpected"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(webhook.Outcome{Kind: webhook.Duplicate, Execution: "DATA-1", Latest: "DATA-1-r2"}, got); diff != "" {
		t.Errorf("earlier request (-want +got):\n%s", diff)
	}
}
