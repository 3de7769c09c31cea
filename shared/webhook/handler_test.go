package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/storehealth"
)

var (
	testSecret = []byte("test-webhook-secret")
	testNow    = time.Unix(1_800_000_000, 0)
)

// fakeExecutions starts executions named after the request ID, with the
// run suffix of repolink run for each further request of an ID, and counts
// the starts. running makes Start fail as for a running execution of
// another request. tearDown records a teardown of a request.
type fakeExecutions struct {
	starts  atomic.Int32
	err     error
	running bool

	mu   sync.Mutex
	runs map[string]int
	// ordinals maps each started execution to its run number.
	ordinals  map[string]int
	teardowns map[string]fakeTeardown
	statuses  map[string]ExecutionStatus
}

// fakeTeardown is the latest teardown of a request. afterRuns counts the
// runs of the request that started before it.
type fakeTeardown struct {
	name, status string
	afterRuns    int
}

func (f *fakeExecutions) tearDown(requestID, name, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.teardowns == nil {
		f.teardowns = map[string]fakeTeardown{}
	}
	f.teardowns[requestID] = fakeTeardown{name: name, status: status, afterRuns: f.runs[requestID]}
}

func (f *fakeExecutions) Teardown(_ context.Context, requestID, after string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	td, ok := f.teardowns[requestID]
	if !ok {
		return "", "", nil
	}
	if after != "" && f.ordinals[after] > td.afterRuns {
		return "", "", nil
	}
	return td.name, td.status, nil
}

func (f *fakeExecutions) Start(_ context.Context, req request.Request) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	base := request.ExecutionName(req.ID)
	if f.running {
		return "", &RunningError{Ticket: req.ID, Execution: request.RunName(base, f.runs[req.ID])}
	}
	if f.runs == nil {
		f.runs = map[string]int{}
		f.ordinals = map[string]int{}
	}
	f.runs[req.ID]++
	f.starts.Add(1)
	name := request.RunName(base, f.runs[req.ID])
	f.ordinals[name] = f.runs[req.ID]
	return name, nil
}

// Status returns the status that setStatus gave the execution, or RUNNING.
func (f *fakeExecutions) Status(_ context.Context, name string) (ExecutionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if run, ok := f.statuses[name]; ok {
		return run, nil
	}
	return ExecutionStatus{Status: "RUNNING"}, nil
}

// setStatus makes Status return run for the execution name.
func (f *fakeExecutions) setStatus(name string, run ExecutionStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.statuses == nil {
		f.statuses = map[string]ExecutionStatus{}
	}
	f.statuses[name] = run
}

// Latest returns the ID's latest execution. The fake does not keep
// requests, so it reports that execution as one of another request, which
// only a delivery that found no recorded run of its ticket would act on.
func (f *fakeExecutions) Latest(_ context.Context, req request.Request) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runs[req.ID] == 0 {
		return "", false, nil
	}
	return request.RunName(request.ExecutionName(req.ID), f.runs[req.ID]), false, nil
}

func exampleRequest(t *testing.T, edit func(map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return data
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// memStore keeps tickets in memory. It holds its lock while start runs,
// which is enough for handler tests. The sqlitestore tests cover concurrent
// deliveries.
type memStore struct {
	mu         sync.Mutex
	latest     map[string]string            // ticket to its latest execution
	runs       map[string]map[string]string // ticket to request hash to execution
	deliveries map[string]int
	replays    map[string]string // replay key to execution, never expiring
}

func newMemStore() *memStore {
	return &memStore{latest: map[string]string{}, runs: map[string]map[string]string{}, deliveries: map[string]int{},
		replays: map[string]string{}}
}

func (m *memStore) Deliver(ctx context.Context, d Delivery, start func(context.Context) (string, error)) (Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out Outcome
	execution, ok := m.runs[d.Ticket][d.RequestHash]
	if ok && d.RerunEarlier && execution != m.latest[d.Ticket] {
		ok = false
	}
	if replayed, seen := m.replays[d.ReplayKey]; seen && d.ReplayKey != "" {
		out = Outcome{Kind: Duplicate, Execution: replayed, Replay: true}
	} else if ok {
		out = Outcome{Kind: Duplicate, Execution: execution}
		if latest := m.latest[d.Ticket]; latest != execution {
			out.Latest = latest
		}
	} else {
		execution, err := start(ctx)
		if err != nil {
			return Outcome{}, err
		}
		out = Outcome{Kind: Started, Execution: execution}
		if m.runs[d.Ticket] == nil {
			m.runs[d.Ticket] = map[string]string{}
		}
		m.runs[d.Ticket][d.RequestHash] = execution
		m.latest[d.Ticket] = execution
	}
	if _, seen := m.replays[d.ReplayKey]; !seen && d.ReplayKey != "" {
		m.replays[d.ReplayKey] = out.Execution
	}
	m.deliveries[d.Ticket]++
	return out, nil
}

func (m *memStore) deliveryCount(ticket string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deliveries[ticket]
}

type testService struct {
	handler *Handler
	mux     *http.ServeMux
	execs   *fakeExecutions
	store   *memStore
}

func newTestService(t *testing.T, sources ...Source) *testService {
	t.Helper()
	store := newMemStore()
	execs := &fakeExecutions{}
	h, err := New(Config{Secret: testSecret, Executions: execs, Store: store, Now: func() time.Time { return testNow }, Sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	return &testService{handler: h, mux: mux, execs: execs, store: store}
}

// checkRejectedBy checks that a rejected delivery names the execution
// blocking it only under blocking_execution, with status REJECTED, so that
// a sender does not take it for an execution of the delivered request.
func checkRejectedBy(t *testing.T, resp Response, blocking string) {
	t.Helper()
	if resp.BlockingExecution != blocking {
		t.Errorf("blocking_execution = %q, want %s", resp.BlockingExecution, blocking)
	}
	if resp.Execution != "" {
		t.Errorf("execution = %q, want none because nothing started", resp.Execution)
	}
	if resp.Status != StatusRejected {
		t.Errorf("status = %q, want %s", resp.Status, StatusRejected)
	}
}

// post sends a delivery to the service and decodes the response body.
func (s *testService) post(t *testing.T, path string, body []byte, headers map[string]string) (int, Response) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, r)
	var resp Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response body %q is not JSON: %v", w.Body.String(), err)
	}
	return w.Code, resp
}

func signed(body []byte, secret []byte, at time.Time) map[string]string {
	h := http.Header{}
	SetSignature(h, secret, at, body)
	return map[string]string{HeaderTimestamp: h.Get(HeaderTimestamp), HeaderSignature: h.Get(HeaderSignature)}
}

func TestRequestWebhookResponses(t *testing.T) {
	valid := exampleRequest(t, nil)
	tooLarge := append(bytes.Clone(valid), bytes.Repeat([]byte(" "), MaxRequestBody)...)
	badRegion := exampleRequest(t, func(doc map[string]any) { doc["aws"].(map[string]any)["region"] = "Oregon" })
	unknownField := exampleRequest(t, func(doc map[string]any) { doc["colour"] = "red" })
	yamlBody := []byte("id: DATA-1\nroute: aws-privatelink\n")

	tests := []struct {
		name       string
		body       []byte
		headers    map[string]string
		wantCode   int
		want       Response
		wantErrors []string // field paths
		wantError  string   // substring of Response.Error
	}{
		{
			name:     "accepted",
			body:     valid,
			headers:  signed(valid, testSecret, testNow),
			wantCode: http.StatusAccepted,
			want:     Response{Execution: "DATA-4711", Status: "RUNNING"},
		},
		{
			name:      "missing signature",
			body:      valid,
			headers:   map[string]string{HeaderTimestamp: "1800000000"},
			wantCode:  http.StatusUnauthorized,
			wantError: "missing X-Repolink-Signature",
		},
		{
			name:      "missing timestamp",
			body:      valid,
			headers:   map[string]string{HeaderSignature: Sign(testSecret, testNow, valid)},
			wantCode:  http.StatusUnauthorized,
			wantError: "missing X-Repolink-Timestamp",
		},
		{
			name:      "wrong secret",
			body:      valid,
			headers:   signed(valid, []byte("another-secret"), testNow),
			wantCode:  http.StatusUnauthorized,
			wantError: "does not match",
		},
		{
			name:      "body changed after signing",
			body:      append(bytes.Clone(valid), ' '),
			headers:   signed(valid, testSecret, testNow),
			wantCode:  http.StatusUnauthorized,
			wantError: "does not match",
		},
		{
			name:      "older than five minutes",
			body:      valid,
			headers:   signed(valid, testSecret, testNow.Add(-MaxAge-time.Second)),
			wantCode:  http.StatusUnauthorized,
			wantError: "away from the receiver's clock",
		},
		{
			name:      "more than five minutes ahead",
			body:      valid,
			headers:   signed(valid, testSecret, testNow.Add(MaxAge+time.Second)),
			wantCode:  http.StatusUnauthorized,
			wantError: "away from the receiver's clock",
		},
		{
			name:      "sha1 signature",
			body:      valid,
			headers:   map[string]string{HeaderTimestamp: "1800000000", HeaderSignature: "sha1=0123"},
			wantCode:  http.StatusUnauthorized,
			wantError: "sha256=<digest>",
		},
		{
			name:     "over 64 KiB",
			body:     tooLarge,
			headers:  signed(tooLarge, testSecret, testNow),
			wantCode: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "invalid field",
			body:       badRegion,
			headers:    signed(badRegion, testSecret, testNow),
			wantCode:   http.StatusBadRequest,
			wantErrors: []string{"$.aws.region"},
		},
		{
			name:       "unknown field",
			body:       unknownField,
			headers:    signed(unknownField, testSecret, testNow),
			wantCode:   http.StatusBadRequest,
			wantErrors: []string{"$.colour"},
		},
		{
			name:       "not JSON",
			body:       yamlBody,
			headers:    signed(yamlBody, testSecret, testNow),
			wantCode:   http.StatusBadRequest,
			wantErrors: []string{"$"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newTestService(t)
			code, resp := svc.post(t, "/v1/requests", tt.body, tt.headers)
			if code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %+v", code, tt.wantCode, resp)
			}
			if tt.wantError != "" && !strings.Contains(resp.Error, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", resp.Error, tt.wantError)
			}
			if tt.wantErrors != nil {
				var paths []string
				for _, f := range resp.Errors {
					paths = append(paths, f.Path)
				}
				if diff := cmp.Diff(tt.wantErrors, paths); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			}
			if tt.wantCode == http.StatusAccepted {
				if diff := cmp.Diff(tt.want, resp); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
			}
			wantStarts := int32(0)
			if tt.wantCode == http.StatusAccepted {
				wantStarts = 1
			}
			if got := svc.execs.starts.Load(); got != wantStarts {
				t.Errorf("executions started = %d, want %d", got, wantStarts)
			}
		})
	}
}

func TestRequestWebhookDuplicateAndChange(t *testing.T) {
	svc := newTestService(t)
	first := exampleRequest(t, nil)
	if code, _ := svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow)); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}

	// The same request with other whitespace and key order is the same
	// ticket and the same request.
	var doc map[string]any
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(doc)
	code, resp := svc.post(t, "/v1/requests", again, signed(again, testSecret, testNow))
	if code != http.StatusOK {
		t.Errorf("duplicate status = %d, want 200", code)
	}
	if diff := cmp.Diff(Response{Execution: "DATA-4711", Status: "RUNNING", Duplicate: true}, resp); diff != "" {
		t.Errorf("duplicate response (-want +got):\n%s", diff)
	}

	// A changed request of a ticket whose execution has closed starts the
	// next run, as repolink run does.
	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})
	code, resp = svc.post(t, "/v1/requests", changed, signed(changed, testSecret, testNow))
	if code != http.StatusAccepted {
		t.Errorf("changed request status = %d, want 202", code)
	}
	if diff := cmp.Diff(Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, resp); diff != "" {
		t.Errorf("changed request response (-want +got):\n%s", diff)
	}

	// The first request again, signed anew after DATA-4711-r2 ran the
	// changed one, goes back to it in the next run.
	code, resp = svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow.Add(time.Second)))
	if code != http.StatusAccepted {
		t.Errorf("earlier request status = %d, want 202", code)
	}
	if diff := cmp.Diff(Response{Execution: "DATA-4711-r3", Status: "RUNNING"}, resp); diff != "" {
		t.Errorf("earlier request response (-want +got):\n%s", diff)
	}

	// That request again is a duplicate of the latest run.
	code, resp = svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow.Add(2*time.Second)))
	if code != http.StatusOK {
		t.Errorf("repeated request status = %d, want 200", code)
	}
	if diff := cmp.Diff(Response{Execution: "DATA-4711-r3", Status: "RUNNING", Duplicate: true}, resp); diff != "" {
		t.Errorf("repeated request response (-want +got):\n%s", diff)
	}

	if got := svc.execs.starts.Load(); got != 3 {
		t.Errorf("executions started = %d, want 3", got)
	}
	if n := svc.store.deliveryCount("DATA-4711"); n != 5 {
		t.Errorf("recorded deliveries = %d, want 5", n)
	}
}

func TestRequestWebhookChangeWhileRunning(t *testing.T) {
	svc := newTestService(t)
	first := exampleRequest(t, nil)
	if code, _ := svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow)); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}

	svc.execs.running = true
	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})
	code, resp := svc.post(t, "/v1/requests", changed, signed(changed, testSecret, testNow))

	if code != http.StatusConflict {
		t.Errorf("status = %d, want 409", code)
	}
	checkRejectedBy(t, resp, "DATA-4711")
	if !strings.Contains(resp.Error, "send it again after DATA-4711 closes") {
		t.Errorf("error = %q, want advice to send the change again after DATA-4711 closes", resp.Error)
	}
	if strings.Contains(resp.Error, "redrive") {
		t.Errorf("error = %q suggests a redrive, which keeps the earlier request", resp.Error)
	}
	if got := svc.execs.starts.Load(); got != 1 {
		t.Errorf("executions started = %d, want 1", got)
	}
}

// TestRequestWebhookDuringAndAfterTeardown sends a request while its
// teardown runs, which must be a conflict that names the teardown, and
// after the teardown has closed, which must start a new run.
func TestRequestWebhookDuringAndAfterTeardown(t *testing.T) {
	svc := newTestService(t)
	first := exampleRequest(t, nil)
	if code, _ := svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow)); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}
	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "RUNNING")

	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})
	for _, body := range [][]byte{first, changed} {
		code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow))
		if code != http.StatusConflict {
			t.Errorf("status during the teardown = %d, want 409; body %+v", code, resp)
		}
		checkRejectedBy(t, resp, "DATA-4711-teardown")
		for _, want := range []string{"teardown DATA-4711-teardown of request DATA-4711 is still running", "send it again after DATA-4711-teardown closes"} {
			if !strings.Contains(resp.Error, want) {
				t.Errorf("error during the teardown = %q, want it to contain %q", resp.Error, want)
			}
		}
	}
	if got := svc.execs.starts.Load(); got != 1 {
		t.Errorf("executions started during the teardown = %d, want 1", got)
	}

	// The repository is gone, so the request starts a new run, once.
	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "SUCCEEDED")
	code, resp := svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow.Add(time.Second)))
	if code != http.StatusAccepted {
		t.Errorf("status after the teardown = %d, want 202", code)
	}
	if diff := cmp.Diff(Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, resp); diff != "" {
		t.Errorf("response after the teardown (-want +got):\n%s", diff)
	}
	code, resp = svc.post(t, "/v1/requests", first, signed(first, testSecret, testNow.Add(2*time.Second)))
	if code != http.StatusOK {
		t.Errorf("status of the redelivery after the teardown = %d, want 200", code)
	}
	if diff := cmp.Diff(Response{Execution: "DATA-4711-r2", Status: "RUNNING", Duplicate: true}, resp); diff != "" {
		t.Errorf("redelivery after the teardown (-want +got):\n%s", diff)
	}
	if got := svc.execs.starts.Load(); got != 2 {
		t.Errorf("executions started = %d, want 2", got)
	}
}

func TestRequestWebhookStartFailure(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantCode  int
		wantError string
	}{
		{name: "request the service cannot run", err: &request.ValidationError{Fields: []request.FieldError{{Path: "$.notify.url", Message: "must use https://"}}}, wantCode: http.StatusBadRequest},
		{name: "store error", err: errors.New("disk full"), wantCode: http.StatusInternalServerError},
		{name: "full store", err: fmt.Errorf("commit transaction: %w", syscall.ENOSPC), wantCode: http.StatusServiceUnavailable,
			wantError: "state store is full"},
		{name: "read-only store", err: &storehealth.UnwritableError{Dir: "/srv/repolink", ReadOnly: true, Err: errors.New("disk full")},
			wantCode: http.StatusServiceUnavailable, wantError: "state store is read-only"},
		{name: "store at file size limit", err: fmt.Errorf("save world: %w", syscall.EFBIG), wantCode: http.StatusServiceUnavailable,
			wantError: "state store is at the file size limit"},
		{name: "conflict with an earlier execution", err: &ConflictError{Ticket: "DATA-4711", Execution: "DATA-4711",
			Reason: "request DATA-4711 changes $.route from execution DATA-4711"}, wantCode: http.StatusConflict,
			wantError: "request DATA-4711 changes $.route from execution DATA-4711"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newTestService(t)
			svc.execs.err = tt.err
			body := exampleRequest(t, nil)
			code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow))
			if code != tt.wantCode {
				t.Errorf("status = %d, want %d; body %+v", code, tt.wantCode, resp)
			}
			if strings.Contains(resp.Error, "disk full") {
				t.Errorf("response leaks an internal error: %q", resp.Error)
			}
			if !strings.Contains(resp.Error, tt.wantError) {
				t.Errorf("response error %q lacks %q", resp.Error, tt.wantError)
			}

			// Nothing was recorded, so a later delivery starts the run.
			svc.execs.err = nil
			if code, _ := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow)); code != http.StatusAccepted {
				t.Errorf("delivery after the failure: status = %d, want 202", code)
			}
		})
	}
}

// TestRequestWebhookStoreDirDenied checks that permission denied on a file
// in the state directory, which only the StoreHealth monitor's directory
// shows to be a store error, gets 503 and marks the stores unwritable.
func TestRequestWebhookStoreDirDenied(t *testing.T) {
	health := storehealth.New("/srv/repolink", storehealth.Options{Now: func() time.Time { return testNow }})
	execs := &fakeExecutions{err: fmt.Errorf("take start lock: %w",
		&fs.PathError{Op: "open", Path: "/srv/repolink/start-locks/33.lock", Err: syscall.EACCES})}
	h, err := New(Config{Secret: testSecret, Executions: execs, Store: newMemStore(), Now: func() time.Time { return testNow },
		StoreHealth: health})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)

	body := exampleRequest(t, nil)
	r := httptest.NewRequest(http.MethodPost, "/v1/requests", bytes.NewReader(body))
	for k, v := range signed(body, testSecret, testNow) {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)

	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503; body %s", w.Code, w.Body.String())
	}
	if got := w.Header().Get("Retry-After"); got != storeUnwritableRetry {
		t.Errorf("Retry-After = %q, want %q", got, storeUnwritableRetry)
	}
	if !strings.Contains(w.Body.String(), "state store is read-only") {
		t.Errorf("body %s does not name the cause", w.Body.String())
	}
	if strings.Contains(w.Body.String(), "/srv/repolink") {
		t.Errorf("body %s names the state directory", w.Body.String())
	}
	if health.Err() == nil {
		t.Error("StoreHealth reports the stores writable after the denied start")
	}
}

func TestRequestWebhookMethodNotAllowed(t *testing.T) {
	svc := newTestService(t)
	w := httptest.NewRecorder()
	svc.mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/requests", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", w.Code)
	}
}

func TestNewRejectsEmptySecret(t *testing.T) {
	for _, secret := range [][]byte{nil, {}} {
		if _, err := New(Config{Secret: secret, Executions: &fakeExecutions{}, Store: newMemStore()}); err == nil {
			t.Errorf("New with secret %q succeeded, want an error", secret)
		}
	}
}

func TestRequestWebhookNumberOutOfRange(t *testing.T) {
	body := []byte(`{"id": 1e400}`)
	svc := newTestService(t)

	code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow))
	if code != http.StatusBadRequest {
		t.Fatalf("status = %d, want %d; body %+v", code, http.StatusBadRequest, resp)
	}
	found := false
	for _, f := range resp.Errors {
		if f.Path == "$" {
			t.Errorf("field error at $: %s", f.Message)
		}
		if f.Path == "$.id" {
			found = true
			if f.Message != "must be a string" {
				t.Errorf("$.id: message %q, want %q", f.Message, "must be a string")
			}
		}
	}
	if !found {
		t.Errorf("no field error at $.id: %+v", resp.Errors)
	}
}

// TestRequestWebhookBodyMessages checks that a body that is not a request
// object gets the messages that a request file gets, worded for JSON, and
// that a leading byte order mark is accepted as in a request file.
func TestRequestWebhookBodyMessages(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string // message of the field error at $
	}{
		{name: "empty", body: []byte(" \n"), want: "request is empty"},
		{name: "array", body: []byte(`[]`), want: "the document is an array"},
		{name: "string", body: []byte(`"DATA-1"`), want: "must be a JSON object of request fields"},
		{name: "yaml", body: []byte("id: DATA-1\n"), want: "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := newTestService(t)
			code, resp := svc.post(t, "/v1/requests", tc.body, signed(tc.body, testSecret, testNow))
			if code != http.StatusBadRequest {
				t.Fatalf("status = %d, want %d; body %+v", code, http.StatusBadRequest, resp)
			}
			if len(resp.Errors) != 1 || resp.Errors[0].Path != "$" {
				t.Fatalf("field errors = %+v, want one at $", resp.Errors)
			}
			if message := resp.Errors[0].Message; !strings.Contains(message, tc.want) {
				t.Errorf("message = %q, want it to contain %q", message, tc.want)
			}
			if message := resp.Errors[0].Message; strings.Contains(message, "YAML mapping") {
				t.Errorf("message = %q, which offers YAML to a JSON body", message)
			}
		})
	}

	t.Run("byte order mark", func(t *testing.T) {
		svc := newTestService(t)
		body := append([]byte("\xef\xbb\xbf"), exampleRequest(t, nil)...)
		code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow))
		if code != http.StatusAccepted {
			t.Fatalf("status = %d, want %d; body %+v", code, http.StatusAccepted, resp)
		}
	})
}

func TestRequestWebhookLiteralCredentialFix(t *testing.T) {
	body := []byte(`{"id": "DATA-1", "repository": {"auth": {"type": "password", "username": "svc", "password": "hunter2-literal"}}}`)
	svc := newTestService(t)

	code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow))
	if code != http.StatusBadRequest {
		t.Fatalf("status = %d, want %d; body %+v", code, http.StatusBadRequest, resp)
	}
	var message string
	for _, f := range resp.Errors {
		if f.Path == "$.repository.auth.password" {
			message = f.Message
		}
	}
	if !strings.Contains(message, "literal credentials are not accepted") {
		t.Fatalf("$.repository.auth.password: message %q, want the literal credential error; errors %+v", message, resp.Errors)
	}
	if strings.Contains(message, "such as env:NAME") {
		t.Errorf("message %q suggests env:NAME, which repolink up reads only when --allow-local-refs lists it", message)
	}
	if !strings.Contains(message, "aws-secretsmanager:") || !strings.Contains(message, "azure-keyvault:") || !strings.Contains(message, "gcp-secretmanager:") {
		t.Errorf("message %q does not suggest the secret-store references", message)
	}
	if !strings.Contains(message, "--allow-local-refs") {
		t.Errorf("message %q does not say when env: and file: references are read", message)
	}
	if strings.Contains(message, "hunter2-literal") {
		t.Errorf("message %q echoes the credential", message)
	}
}
