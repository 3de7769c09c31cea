package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
)

// eventTimeout keeps a broken test from hanging. It is far longer than any
// event takes on a working notifier.
const eventTimeout = 2 * time.Minute

// stuckReceiver accepts notifications and responds to none of them until
// the client gives up or release is closed. Then it responds 200.
type stuckReceiver struct {
	mu      sync.Mutex
	started int
	ended   int
	release chan struct{}
}

func (s *stuckReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// The server notices that the client closed the connection, and ends
	// the request's context, only after the body has been read.
	_, _ = io.Copy(io.Discard, req.Body)
	s.mu.Lock()
	s.started++
	s.mu.Unlock()
	select {
	case <-req.Context().Done():
	case <-s.release:
	}
	s.mu.Lock()
	s.ended++
	s.mu.Unlock()
}

func (s *stuckReceiver) counts() (started, ended int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started, s.ended
}

func startStuckReceiver(t *testing.T) (*stuckReceiver, string) {
	t.Helper()
	stuck := &stuckReceiver{release: make(chan struct{})}
	srv := httptest.NewServer(stuck)
	t.Cleanup(func() {
		close(stuck.release)
		srv.Close()
	})
	return stuck, srv.URL
}

// notifyingReceiver responds 200 and sends the execution of each
// notification on arrived.
type notifyingReceiver struct {
	arrived chan string
}

func (r *notifyingReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var note Notification
	_ = json.NewDecoder(req.Body).Decode(&note)
	r.arrived <- note.Execution
}

func newDispatchHarness(t *testing.T, maxConcurrent int) *harness {
	t.Helper()
	c := &clock{now: startTime}
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	execs := &fakeExecutions{}
	n, err := New(Config{Store: store, Executions: execs, Secret: testSecret, Sandbox: true, Now: c.Now,
		MaxAttempts: 3, MaxConcurrent: maxConcurrent})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{notifier: n, store: store, execs: execs, clock: c}
}

// startRun runs the notifier until the test cancels the returned context,
// and returns a channel that is closed when Run has returned.
func startRun(t *testing.T, n *Notifier) (context.CancelFunc, <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		n.Run(ctx, time.Hour)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	return cancel, stopped
}

func TestRunStuckReceiverDelaysOnlyItself(t *testing.T) {
	stuck, stuckURL := startStuckReceiver(t)
	good := &notifyingReceiver{arrived: make(chan string, 1)}
	goodSrv := httptest.NewServer(good)
	defer goodSrv.Close()
	h := newDispatchHarness(t, 0)
	// The due notifications are read in the order of their names, so
	// the six to the stuck receiver come first.
	for i := 1; i <= 6; i++ {
		h.execs.list = append(h.execs.list, closed(fmt.Sprintf("DATA-%d", i), engine.StatusSucceeded, stuckURL, 0))
	}
	h.execs.list = append(h.execs.list, closed("DATA-7", engine.StatusSucceeded, goodSrv.URL, 0))

	startRun(t, h.notifier)

	select {
	case got := <-good.arrived:
		if got != "DATA-7" {
			t.Errorf("good receiver got the notification of %s, want DATA-7", got)
		}
	case <-time.After(eventTimeout):
		t.Fatal("good receiver got no notification")
	}
	// One attempt to the stuck receiver times out after requestTimeout
	// (10 seconds), so a notifier that waited for the stuck attempts has
	// let some of them end and started the next ones.
	started, ended := stuck.counts()
	if ended != 0 {
		t.Errorf("good notification arrived after %d attempts to the stuck receiver had ended, want 0", ended)
	}
	if started > 1 {
		t.Errorf("good notification arrived after %d attempts to the stuck receiver had started, want at most 1", started)
	}
}

func TestRunShutdownLeavesAttemptsPending(t *testing.T) {
	stuck, stuckURL := startStuckReceiver(t)
	h := newDispatchHarness(t, 0)
	// The stuck receiver never responds, so the attempt outlives the grace
	// period and is abandoned.
	h.notifier.cfg.ShutdownGrace = 50 * time.Millisecond
	h.execs.list = []engine.Execution{
		closed("DATA-1", engine.StatusSucceeded, stuckURL, 0),
		closed("DATA-2", engine.StatusSucceeded, stuckURL, 0),
	}

	cancel, stopped := startRun(t, h.notifier)
	waitFor(t, "an attempt to reach the stuck receiver", func() bool {
		started, _ := stuck.counts()
		return started == 1
	})
	cancel()
	select {
	case <-stopped:
	case <-time.After(eventTimeout):
		t.Fatal("Run did not return after its context ended")
	}

	for _, name := range []string{"DATA-1", "DATA-2"} {
		rec := h.record(t, name, 0)
		if rec.State != StatePending {
			t.Errorf("%s state = %q, want %q", name, rec.State, StatePending)
		}
		if rec.Attempts != 0 {
			t.Errorf("%s attempts = %d, want 0 for an abandoned attempt", name, rec.Attempts)
		}
	}
	// The abandoned claim is released, so the next notifier finds both
	// due at once instead of after the claim would have run out.
	due, err := h.store.due(context.Background(), h.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, rec := range due {
		names = append(names, rec.Execution)
	}
	if diff := cmp.Diff([]string{"DATA-1", "DATA-2"}, names); diff != "" {
		t.Errorf("due after shutdown (-want +got):\n%s", diff)
	}
}

func TestRunShutdownFinishesAttemptInFlight(t *testing.T) {
	held := &stuckReceiver{release: make(chan struct{})}
	srv := httptest.NewServer(held)
	defer srv.Close()
	h := newDispatchHarness(t, 0)
	h.execs.list = []engine.Execution{
		closed("DATA-1", engine.StatusSucceeded, srv.URL, 0),
		closed("DATA-2", engine.StatusSucceeded, srv.URL, 0),
	}

	cancel, stopped := startRun(t, h.notifier)
	waitFor(t, "an attempt to reach the held receiver", func() bool {
		started, _ := held.counts()
		return started == 1
	})
	cancel()
	// The receiver responds after the shutdown began, as a slow receiver
	// does. A notifier without a grace period has abandoned the attempt
	// by then.
	time.Sleep(200 * time.Millisecond)
	close(held.release)
	select {
	case <-stopped:
	case <-time.After(eventTimeout):
		t.Fatal("Run did not return after its context ended")
	}

	first := h.record(t, "DATA-1", 0)
	if first.State != StateDelivered {
		t.Errorf("DATA-1 state = %q, want %q", first.State, StateDelivered)
	}
	if first.Attempts != 1 {
		t.Errorf("DATA-1 attempts = %d, want 1", first.Attempts)
	}
	// The second notification was queued behind the first and must not
	// start during the grace period.
	second := h.record(t, "DATA-2", 0)
	if second.State != StatePending || second.Attempts != 0 {
		t.Errorf("DATA-2 = %s after %d attempts, want pending after 0", second.State, second.Attempts)
	}
	if got, _ := held.counts(); got != 1 {
		t.Errorf("receiver got %d notifications, want 1", got)
	}
}

// orderedReceiver responds 200 and keeps the executions of the
// notifications it received, in the order they arrived.
type orderedReceiver struct {
	mu         sync.Mutex
	executions []string
}

func (r *orderedReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var note Notification
	_ = json.NewDecoder(req.Body).Decode(&note)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.executions = append(r.executions, note.Execution)
}

func TestDeliverOneReceiverInOrder(t *testing.T) {
	recv := &orderedReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	h := newDispatchHarness(t, 0)
	var want []string
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("DATA-%d", i)
		want = append(want, name)
		h.execs.list = append(h.execs.list, closed(name, engine.StatusSucceeded, srv.URL, 0))
	}

	h.tick(t)

	if diff := cmp.Diff(want, recv.executions); diff != "" {
		t.Errorf("order of notifications (-want +got):\n%s", diff)
	}
	for _, name := range want {
		if rec := h.record(t, name, 0); rec.State != StateDelivered {
			t.Errorf("%s state = %q, want %q", name, rec.State, StateDelivered)
		}
	}
}

// gate blocks every request until the test lets it through, and keeps
// the maximum number of requests in flight at once.
type gate struct {
	entered chan struct{}
	pass    chan struct{}

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	passed      int
}

func (g *gate) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	g.mu.Lock()
	g.inFlight++
	g.maxInFlight = max(g.maxInFlight, g.inFlight)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	select {
	case g.entered <- struct{}{}:
	case <-req.Context().Done():
		return
	}
	select {
	case <-g.pass:
	case <-req.Context().Done():
		return
	}
	g.mu.Lock()
	g.passed++
	g.mu.Unlock()
}

func TestDeliverMaxConcurrentAcrossReceivers(t *testing.T) {
	g := &gate{entered: make(chan struct{}), pass: make(chan struct{})}
	h := newDispatchHarness(t, 2)
	for i := 1; i <= 4; i++ {
		srv := httptest.NewServer(g)
		defer srv.Close()
		h.execs.list = append(h.execs.list, closed(fmt.Sprintf("DATA-%d", i), engine.StatusSucceeded, srv.URL, 0))
	}
	ctx := context.Background()
	if err := h.notifier.Scan(ctx); err != nil {
		t.Fatal(err)
	}

	delivered := make(chan error, 1)
	go func() { delivered <- h.notifier.Deliver(ctx) }()
	for range 4 {
		select {
		case <-g.entered:
		case <-time.After(eventTimeout):
			t.Fatal("a notification never reached its receiver")
		}
		g.pass <- struct{}{}
	}
	if err := <-delivered; err != nil {
		t.Fatalf("Deliver: %v", err)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if g.maxInFlight > 2 {
		t.Errorf("receivers had %d notifications in flight at once, want at most 2", g.maxInFlight)
	}
	if g.passed != 4 {
		t.Errorf("receivers got %d notifications, want 4", g.passed)
	}
}

// waitFor fails the test unless cond becomes true within eventTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// firstStuckReceiver keeps the request of DATA-1 open until the client
// gives up, and responds 200 to every other notification.
type firstStuckReceiver struct {
	entered chan struct{}
}

func (r *firstStuckReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var note Notification
	_ = json.NewDecoder(req.Body).Decode(&note)
	if note.Execution == "DATA-1" {
		r.entered <- struct{}{}
		<-req.Context().Done()
	}
}

func TestDeliverAfterOtherCallEnds(t *testing.T) {
	recv := &firstStuckReceiver{entered: make(chan struct{}, 1)}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	h := newDispatchHarness(t, 0)
	h.execs.list = append(h.execs.list, closed("DATA-1", engine.StatusSucceeded, srv.URL, 0))
	if err := h.notifier.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The first call's attempt occupies the receiver's worker, so the second
	// call queues DATA-2 behind it on the same worker.
	firstCtx, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	first := make(chan error, 1)
	go func() { first <- h.notifier.Deliver(firstCtx) }()
	select {
	case <-recv.entered:
	case <-time.After(eventTimeout):
		t.Fatal("DATA-1 never reached its receiver")
	}
	h.execs.list = append(h.execs.list, closed("DATA-2", engine.StatusSucceeded, srv.URL, 0))
	if err := h.notifier.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() { second <- h.notifier.Deliver(context.Background()) }()
	waitFor(t, "DATA-2 to be queued", func() bool { return h.notifier.queue.size() == 2 })

	cancelFirst()
	<-first
	if err := <-second; err != nil {
		t.Fatalf("second Deliver: %v", err)
	}

	if rec := h.record(t, "DATA-2", 0); rec.State != StateDelivered {
		t.Errorf("DATA-2 state = %q, want %q", rec.State, StateDelivered)
	}
}
