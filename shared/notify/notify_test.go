package notify

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

var (
	testSecret = []byte("notify-secret")
	startTime  = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

type fakeExecutions struct {
	list    []engine.Execution
	since   []time.Time // the argument of each call
	history map[string][]engine.Event
}

func (f *fakeExecutions) History(_ context.Context, name string) ([]engine.Event, error) {
	return f.history[name], nil
}

func (f *fakeExecutions) ClosedSince(_ context.Context, since time.Time) ([]engine.Execution, error) {
	f.since = append(f.since, since)
	var out []engine.Execution
	for _, x := range f.list {
		if x.Status != engine.StatusRunning && !x.StoppedAt.Before(since) {
			out = append(out, x)
		}
	}
	return out, nil
}

// receiver is a notification endpoint that responds with the queued
// statuses, then 200, and keeps what it received.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	headers  []http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	w.WriteHeader(status)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// onlyNotification fails the test unless r received exactly one
// notification, and returns that notification decoded.
func (r *receiver) onlyNotification(t *testing.T) Notification {
	t.Helper()
	if got := r.count(); got != 1 {
		t.Fatalf("receiver got %d notifications, want 1", got)
	}
	var n Notification
	if err := json.Unmarshal(r.bodies[0], &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// startReceiver serves a new receiver over HTTP until the test ends, and
// returns it with the server's URL.
func startReceiver(t *testing.T) (*receiver, string) {
	t.Helper()
	recv := &receiver{}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	return recv, srv.URL
}

type harness struct {
	notifier *Notifier
	store    *Store
	execs    *fakeExecutions
	clock    *clock
}

func newHarness(t *testing.T, sandbox bool, client *http.Client) *harness {
	t.Helper()
	c := &clock{now: startTime}
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	execs := &fakeExecutions{}
	n, err := New(Config{Store: store, Executions: execs, Secret: testSecret, Sandbox: sandbox, Client: client, Now: c.Now, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{notifier: n, store: store, execs: execs, clock: c}
}

// closed returns an execution of a request with a notify URL that stopped
// after the harness started.
func closed(name, status, notifyURL string, redrives int) engine.Execution {
	doc := workflow.Document{Request: request.Request{ID: name}}
	if notifyURL != "" {
		doc.Request.Notify = &request.Notify{URL: notifyURL}
	}
	input, _ := json.Marshal(doc)
	x := engine.Execution{Name: name, Machine: MachineProvision, Status: status, Input: input, RedriveCount: redrives,
		StartedAt: startTime.Add(time.Second), StoppedAt: startTime.Add(time.Minute)}
	switch status {
	case engine.StatusSucceeded:
		x.Output = json.RawMessage(`{"request": {}, "resources": {"repository": {"action": "created", "id": "PLATFORM.PACKAGES.CORP_PYPI"}}}`)
	case engine.StatusFailed:
		x.Error, x.Cause = "Rejected", "verification: package not-in-the-index was not found"
	}
	return x
}

// tick runs one pass of the notifier, as Run does on each interval.
func (h *harness) tick(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := h.notifier.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.notifier.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) record(t *testing.T, name string, redrives int) Record {
	t.Helper()
	rec, err := h.store.Get(context.Background(), name, redrives)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestNotifySucceededRunSigned(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DATA-1", engine.StatusSucceeded, hookURL+"/hook", 0)}

	h.tick(t)
	h.tick(t)

	if got := recv.count(); got != 1 {
		t.Fatalf("receiver got %d notifications, want 1", got)
	}
	if err := webhook.VerifyTimestamped(testSecret, recv.headers[0], recv.bodies[0], h.clock.now); err != nil {
		t.Errorf("notification signature: %v", err)
	}
	var got Notification
	if err := json.Unmarshal(recv.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	want := Notification{Event: EventSucceeded, Machine: MachineProvision, Execution: "DATA-1", RequestID: "DATA-1", Status: engine.StatusSucceeded,
		StartedAt: execview.At(startTime.Add(time.Second)), StoppedAt: execview.At(startTime.Add(time.Minute)),
		Resources: json.RawMessage(`{"repository":{"action":"created","id":"PLATFORM.PACKAGES.CORP_PYPI"}}`)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notification (-want +got):\n%s", diff)
	}
	if rec := h.record(t, "DATA-1", 0); rec.State != StateDelivered || rec.Attempts != 1 {
		t.Errorf("record = %s after %d attempts, want delivered after 1", rec.State, rec.Attempts)
	}
}

func TestNotifyFailedRunNeedsOperator(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DATA-2", engine.StatusFailed, hookURL, 0)}

	h.tick(t)

	got := recv.onlyNotification(t)
	if got.Event != EventNeedsOperator {
		t.Errorf("event = %q, want %q", got.Event, EventNeedsOperator)
	}
	if got.FailedStep != "verification" {
		t.Errorf("failed step = %q, want verification", got.FailedStep)
	}
	if got.Error != "Rejected" || got.Cause != "package not-in-the-index was not found" {
		t.Errorf("error, cause = %q, %q", got.Error, got.Cause)
	}
	if got.Next != "fix the cause, then run 'repolink redrive DATA-2' to resume from the failed step" {
		t.Errorf("next = %q", got.Next)
	}
}

func TestNotifyStoppedRunNamesStep(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		state    string
		wantStep string
	}{
		{"aborted", engine.StatusAborted, "ProxyVM", "proxy_vm"},
		{"timed out", engine.StatusTimedOut, "AwaitEndpoint", "await_endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := closed("DATA-5", tt.status, "http://127.0.0.1:1/hook", 0)
			x.CurrentState = tt.state
			var doc workflow.Document
			if err := json.Unmarshal(x.Input, &doc); err != nil {
				t.Fatal(err)
			}

			got := Build(x, doc, nil, "", "")

			if got.FailedStep != tt.wantStep {
				t.Errorf("failed step = %q, want %q", got.FailedStep, tt.wantStep)
			}
		})
	}
}

func TestNotifyTeardownTornDown(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	x := closed("DATA-3", engine.StatusSucceeded, hookURL, 0)
	x.Name, x.Machine = "DATA-3-teardown", MachineTeardown
	h.execs.list = []engine.Execution{x}

	h.tick(t)

	got := recv.onlyNotification(t)
	if got.Event != EventTornDown {
		t.Errorf("event = %q, want %q", got.Event, EventTornDown)
	}
	if got.Machine != MachineTeardown {
		t.Errorf("machine = %q, want %q", got.Machine, MachineTeardown)
	}
	if got.Execution != "DATA-3-teardown" {
		t.Errorf("execution = %q, want DATA-3-teardown", got.Execution)
	}
}

func TestNotifyNextCarriesCommandFlags(t *testing.T) {
	x := closed("DATA-4", engine.StatusFailed, "http://127.0.0.1:1/hook", 0)
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatal(err)
	}
	got := Build(x, doc, nil, " --sandbox --state-dir /srv/repolink", "")
	want := "fix the cause, then run 'repolink redrive --sandbox --state-dir /srv/repolink DATA-4' to resume from the failed step"
	if got.Next != want {
		t.Errorf("next = %q, want %q", got.Next, want)
	}
	if got.Machine != MachineProvision {
		t.Errorf("machine = %q, want %q", got.Machine, MachineProvision)
	}
}

func TestNotifyNextForRequestErrors(t *testing.T) {
	tests := []struct {
		name      string
		machine   string
		errorName string
		cause     string
		want      []string
		unwant    []string
	}{
		{
			name: "invalid request", machine: MachineProvision, errorName: workflow.ErrInvalidRequest,
			want: []string{
				"change the request to fix the cause, then send the changed request to the webhook again, such as by updating the ticket, " +
					"or run 'repolink run --sandbox REQUEST' with the changed request file",
				"so run 'repolink redrive --sandbox DATA-6' only when the fix lies outside the request",
			},
			unwant: []string{"fix the cause, then run 'repolink redrive"},
		},
		{
			name: "conflict", machine: MachineProvision, errorName: workflow.ErrConflict,
			want: []string{
				"change the request, then send the changed request to the webhook again",
				"fix that, then run 'repolink redrive --sandbox DATA-6' to resume from the failed step",
			},
		},
		{
			name: "conflict needing a new VM", machine: MachineProvision, errorName: workflow.ErrConflict,
			cause: "azure_proxy_vm: the admin user changed; " + workflow.ReplaceFix("the proxy VM is not changed in place", "DATA-6"),
			want: []string{
				"a redrive fails the same way",
				"run 'repolink teardown --sandbox DATA-6', then run 'repolink run --sandbox REQUEST' with the request file",
			},
			unwant: []string{"redrive --sandbox DATA-6"},
		},
		{
			name: "teardown invalid", machine: MachineTeardown, errorName: workflow.ErrInvalidRequest,
			want:   []string{"fix the cause, then run 'repolink redrive --sandbox DATA-6' to resume from the failed step"},
			unwant: []string{"change the request"},
		},
		{
			name: "egress refresh invalid", machine: MachineEgressRefresh, errorName: workflow.ErrInvalidRequest,
			want:   []string{"change the request to fix the cause, then " + workflow.RerunEgressRefresh},
			unwant: []string{"fix the cause, then run 'repolink redrive", "webhook", "repolink run"},
		},
		{
			name: "egress refresh transient", machine: MachineEgressRefresh, errorName: workflow.ErrTransient,
			want:   []string{"fix the cause, then run 'repolink redrive --sandbox DATA-6' to resume from the failed step"},
			unwant: []string{"webhook", "repolink run"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := closed("DATA-6", engine.StatusFailed, "http://127.0.0.1:1/hook", 0)
			x.Machine, x.Error, x.Cause = tt.machine, tt.errorName, "preflight: the request cannot work"
			if tt.cause != "" {
				x.Cause = tt.cause
			}
			var doc workflow.Document
			if err := json.Unmarshal(x.Input, &doc); err != nil {
				t.Fatal(err)
			}

			got := Build(x, doc, nil, " --sandbox", "")

			for _, want := range tt.want {
				if !strings.Contains(got.Next, want) {
					t.Errorf("next = %q, want it to contain %q", got.Next, want)
				}
			}
			for _, unwant := range tt.unwant {
				if strings.Contains(got.Next, unwant) {
					t.Errorf("next = %q, want it without %q", got.Next, unwant)
				}
			}
		})
	}
}

func TestNotifyRetriesWithBackoff(t *testing.T) {
	recv := &receiver{statuses: []int{http.StatusInternalServerError, http.StatusTooManyRequests}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DATA-3", engine.StatusSucceeded, srv.URL, 0)}

	h.tick(t)
	rec := h.record(t, "DATA-3", 0)
	if rec.State != StatePending || rec.LastStatus != 500 {
		t.Fatalf("after the first attempt: %s with status %d, want pending with 500", rec.State, rec.LastStatus)
	}
	if want := startTime.Add(DefaultBaseDelay); !rec.NextAt.Equal(want) {
		t.Errorf("first retry at %s, want %s", rec.NextAt, want)
	}

	h.tick(t)
	if got := recv.count(); got != 1 {
		t.Errorf("receiver got %d notifications before the retry was due, want 1", got)
	}

	h.clock.now = rec.NextAt
	h.tick(t)
	rec = h.record(t, "DATA-3", 0)
	if want := h.clock.now.Add(2 * DefaultBaseDelay); !rec.NextAt.Equal(want) {
		t.Errorf("second retry at %s, want %s (doubled)", rec.NextAt, want)
	}

	h.clock.now = rec.NextAt
	h.tick(t)
	rec = h.record(t, "DATA-3", 0)
	if rec.State != StateDelivered || rec.Attempts != 3 {
		t.Errorf("record = %s after %d attempts, want delivered after 3", rec.State, rec.Attempts)
	}
}

func TestNotifyDeliveryIDStable(t *testing.T) {
	recv := &receiver{statuses: []int{http.StatusInternalServerError}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "notify.db")
	execs := &fakeExecutions{list: []engine.Execution{
		closed("DATA-1", engine.StatusSucceeded, srv.URL, 0),
		closed("DATA-2", engine.StatusSucceeded, srv.URL, 0),
	}}
	c := &clock{now: startTime}
	// deliver opens the store and runs one pass, as one start of
	// repolink up does.
	deliver := func() {
		store, err := OpenStore(path, startTime)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		n, err := New(Config{Store: store, Executions: execs, Secret: testSecret, Sandbox: true, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := n.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	deliver()
	c.now = c.now.Add(time.Hour)
	deliver()

	var first, second []string
	for i, header := range recv.headers {
		var note Notification
		if err := json.Unmarshal(recv.bodies[i], &note); err != nil {
			t.Fatal(err)
		}
		id := header.Get(HeaderDeliveryID)
		if id == "" {
			t.Fatalf("attempt %d of %s has no %s header", i+1, note.Execution, HeaderDeliveryID)
		}
		if note.Execution == "DATA-1" {
			first = append(first, id)
		} else {
			second = append(second, id)
		}
	}
	// The receiver responded 500 only to the first attempt, so one of the
	// two notifications was retried after the restart.
	if len(first)+len(second) != 3 {
		t.Fatalf("receiver got %d attempts, want 3", len(first)+len(second))
	}
	retried := first
	if len(second) == 2 {
		retried = second
	}
	if len(retried) != 2 || retried[0] != retried[1] {
		t.Errorf("delivery IDs of the retried notification = %q, want two equal", retried)
	}
	if first[0] == second[0] {
		t.Errorf("DATA-1 and DATA-2 share the delivery ID %q", first[0])
	}
}

func TestNotifyGivesUp(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		wantAttempts int
	}{
		{name: "client error", statuses: []int{http.StatusBadRequest}, wantAttempts: 1},
		{name: "redirect", statuses: []int{http.StatusFound}, wantAttempts: 1},
		{name: "attempts used up", statuses: []int{502, 503, 504, 500}, wantAttempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := &receiver{statuses: tt.statuses}
			srv := httptest.NewServer(recv)
			defer srv.Close()
			h := newHarness(t, true, nil)
			h.execs.list = []engine.Execution{closed("DATA-4", engine.StatusSucceeded, srv.URL, 0)}

			for range 5 {
				h.tick(t)
				h.clock.now = h.clock.now.Add(DefaultMaxDelay)
			}

			rec := h.record(t, "DATA-4", 0)
			if rec.State != StateFailed {
				t.Errorf("state = %s, want failed", rec.State)
			}
			if rec.Attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", rec.Attempts, tt.wantAttempts)
			}
			if recv.count() != tt.wantAttempts {
				t.Errorf("receiver got %d notifications, want %d", recv.count(), tt.wantAttempts)
			}
		})
	}
}

func TestNotifySkipsURLs(t *testing.T) {
	recv, hookURL := startReceiver(t)
	tests := []struct {
		name    string
		sandbox bool
		url     string
	}{
		{name: "sandbox beyond loopback", sandbox: true, url: "https://tickets.example.com/hooks/repolink"},
		{name: "http outside sandbox", sandbox: false, url: hookURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.sandbox, nil)
			h.execs.list = []engine.Execution{closed("DATA-5", engine.StatusSucceeded, tt.url, 0)}

			h.tick(t)

			if rec := h.record(t, "DATA-5", 0); rec.State != StateSkipped || rec.Attempts != 0 {
				t.Errorf("record = %s after %d attempts, want skipped after 0", rec.State, rec.Attempts)
			}
			if recv.count() != 0 {
				t.Errorf("receiver got %d notifications, want 0", recv.count())
			}
		})
	}
}

func TestNotifyHTTPSOutsideSandbox(t *testing.T) {
	recv := &receiver{}
	srv := httptest.NewTLSServer(recv)
	defer srv.Close()
	// Outside sandbox mode a loopback host is skipped, so the URL names
	// example.com, which the test server's certificate covers, and the
	// client connects to the test server instead.
	client := srv.Client()
	transport := client.Transport.(*http.Transport)
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	h := newHarness(t, false, client)
	h.execs.list = []engine.Execution{closed("DATA-6", engine.StatusSucceeded, "https://example.com:"+port+"/", 0)}

	h.tick(t)

	if rec := h.record(t, "DATA-6", 0); rec.State != StateDelivered {
		t.Errorf("state = %s (%s), want delivered", rec.State, rec.LastError)
	}
}

func TestNotifyOncePerRun(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)

	old := closed("OLD-1", engine.StatusSucceeded, hookURL, 0)
	old.StoppedAt = startTime.Add(-time.Hour)
	h.execs.list = []engine.Execution{
		old,
		closed("NO-URL", engine.StatusSucceeded, "", 0),
		{Name: "RUNNING-1", Status: engine.StatusRunning, Input: closed("RUNNING-1", engine.StatusRunning, hookURL, 0).Input},
		closed("DATA-7", engine.StatusFailed, hookURL, 0),
	}
	h.tick(t)
	if got := recv.count(); got != 1 {
		t.Fatalf("receiver got %d notifications, want 1 (only DATA-7)", got)
	}

	// A redrive that fails again is a new run with its own notification.
	h.execs.list = []engine.Execution{closed("DATA-7", engine.StatusFailed, hookURL, 1)}
	h.tick(t)
	h.tick(t)
	if got := recv.count(); got != 2 {
		t.Errorf("receiver got %d notifications after the redrive, want 2", got)
	}
	var second Notification
	if err := json.Unmarshal(recv.bodies[1], &second); err != nil {
		t.Fatal(err)
	}
	if second.RedriveCount != 1 {
		t.Errorf("redrive count = %d, want 1", second.RedriveCount)
	}
}

func TestNewRejectsEmptySecret(t *testing.T) {
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), startTime)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := New(Config{Store: store, Executions: &fakeExecutions{}}); err == nil {
		t.Error("New without a secret succeeded, want an error")
	}
}

func TestScanReadsOnlyRecentlyClosed(t *testing.T) {
	h := newHarness(t, true, nil)
	h.execs.list = []engine.Execution{closed("DATA-1", engine.StatusSucceeded, "", 0)}
	if err := h.notifier.Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.notifier.Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{startTime, startTime.Add(time.Minute - scanOverlap)}
	if diff := cmp.Diff(want, h.execs.since); diff != "" {
		t.Errorf("ClosedSince arguments (-want +got):\n%s", diff)
	}
}

func TestNotifyStoppedRunListsResources(t *testing.T) {
	recv, hookURL := startReceiver(t)
	h := newHarness(t, true, nil)
	x := closed("DATA-6", engine.StatusAborted, hookURL, 0)
	x.CurrentState = "LoadBalancer"
	h.execs.list = []engine.Execution{x}
	built := `{"proxy_vm": {"action": "created", "id": "i-0123"}, "target_group": {"action": "created", "id": "arn:tg"}}`
	h.execs.history = map[string][]engine.Event{"DATA-6": {
		{ID: 1, Type: "ExecutionStarted", Details: json.RawMessage(`{"input": {"request": {}}}`)},
		{ID: 2, Type: "TaskStateExited", Details: json.RawMessage(`{"name": "ProxyVM", "output": {"request": {}, "resources": {"proxy_vm": {"action": "created", "id": "i-0123"}}}}`)},
		{ID: 3, Type: "TaskStateExited", Details: json.RawMessage(`{"name": "TargetGroup", "output": {"request": {}, "resources": ` + built + `}}`)},
		{ID: 4, Type: "TaskStateEntered", Details: json.RawMessage(`{"name": "LoadBalancer"}`)},
		{ID: 5, Type: "ExecutionAborted", Details: json.RawMessage(`{}`)},
	}}

	h.tick(t)

	got := recv.onlyNotification(t)
	if got.Event != EventNeedsOperator {
		t.Errorf("event = %q, want %q", got.Event, EventNeedsOperator)
	}
	var gotResources, wantResources any
	if err := json.Unmarshal(got.Resources, &gotResources); err != nil {
		t.Fatalf("resources %s: %v", got.Resources, err)
	}
	if err := json.Unmarshal([]byte(built), &wantResources); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantResources, gotResources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if want := ", or run 'repolink teardown DATA-6' to remove what it built"; !strings.HasSuffix(got.Next, want) {
		t.Errorf("next = %q, want it to end with %q", got.Next, want)
	}
}

func TestSendRetriesUntilDelivered(t *testing.T) {
	recv := &receiver{statuses: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), startTime)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: testSecret, Sandbox: true, BaseDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}

	rec, ok, err := n.Send(context.Background(), closed("DATA-7", engine.StatusSucceeded, srv.URL, 0), time.Minute)
	if err != nil || !ok {
		t.Fatalf("Send = %v, %v, want a notification", ok, err)
	}
	if rec.State != StateDelivered {
		t.Errorf("state = %q, want %q", rec.State, StateDelivered)
	}
	if rec.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", rec.Attempts)
	}
	if recv.count() != 2 {
		t.Errorf("receiver got %d requests, want 2", recv.count())
	}
}

func TestSendLeavesLateRetryPending(t *testing.T) {
	recv := &receiver{statuses: []int{http.StatusServiceUnavailable, http.StatusServiceUnavailable}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), startTime)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: testSecret, Sandbox: true, BaseDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	// The first attempt must finish within the wait, so the wait stays
	// far above one round trip to the local receiver.
	const wait = 250 * time.Millisecond
	rec, _, err := n.Send(context.Background(), closed("DATA-8", engine.StatusSucceeded, srv.URL, 0), wait)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	// The first attempt, then the last attempt when the wait has passed.
	if rec.State != StatePending || rec.Attempts != 2 {
		t.Errorf("record = %s after %d attempts, want pending after 2", rec.State, rec.Attempts)
	}
	if rec.LastError != "receiver responded 503" {
		t.Errorf("last error = %q, want the 503", rec.LastError)
	}
	if wait := time.Until(rec.NextAt); wait < time.Minute {
		t.Errorf("next retry in %s, want the 5-minute backoff kept for repolink up", wait)
	}
}

// TestSendRetriesForWholeWait checks that Send keeps retrying until its
// wait ends. With delays of 20, 40, 80 and 160 ms, the retry after 140 ms
// is due at 300 ms, after the 240 ms wait, so the last attempt is at 240 ms.
func TestSendRetriesForWholeWait(t *testing.T) {
	recv := &receiver{statuses: []int{503, 503, 503, 503, 503, 503, 503, 503}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), startTime)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: testSecret, Sandbox: true, BaseDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}

	const wait = 240 * time.Millisecond
	started := time.Now()
	rec, _, err := n.Send(context.Background(), closed("DATA-10", engine.StatusSucceeded, srv.URL, 0), wait)
	took := time.Since(started)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if took < wait {
		t.Errorf("Send returned after %s, want at least the %s wait", took, wait)
	}
	if rec.Attempts != 5 {
		t.Errorf("attempts = %d, want 5: at 0, 20, 60 and 140 ms and the last at 240 ms", rec.Attempts)
	}
	if rec.State != StatePending {
		t.Errorf("state = %q, want %q", rec.State, StatePending)
	}
}

func TestSendWithoutNotifyURL(t *testing.T) {
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), startTime)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: testSecret, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := n.Send(context.Background(), closed("DATA-9", engine.StatusSucceeded, "", 0), time.Second); ok || err != nil {
		t.Errorf("Send = %v, %v, want no notification and no error", ok, err)
	}
}

func TestNotifyCauseCarriesCommandFlags(t *testing.T) {
	x := closed("DATA-5", engine.StatusFailed, "http://127.0.0.1:1/hook", 0)
	x.Error = workflow.ErrConflict
	x.Cause = "proxy VM i-1 forwards to a:443, but aws.upstream is b:443; the proxy VM is not changed in place, " +
		"so run 'repolink teardown DATA-5' and run the request again"
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatal(err)
	}
	got := Build(x, doc, nil, " --sandbox --state-dir /srv/repolink", "")
	want := "'repolink teardown --sandbox --state-dir /srv/repolink DATA-5'"
	if !strings.Contains(got.Cause, want) {
		t.Errorf("cause %q does not contain %s", got.Cause, want)
	}
}
