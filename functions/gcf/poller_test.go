package gcf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/functions/poller"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// attachmentID is the service attachment of the example wait, as
// Snowflake reports it in provider_service_name.
const attachmentID = "projects/corp-packages-prod/regions/us-central1/serviceAttachments/repolink-corp-pypi"

// callbackPath is the path of the example wait's callback URL.
const callbackPath = "/v1/projects/corp-packages-prod/locations/us-central1/workflows/provision/executions/run-1/callbacks/1700000000000_42"

// endpointsConn serves SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO with a fixed
// JSON array.
type endpointsConn struct {
	infos string
}

func (c endpointsConn) Exec(context.Context, string) error { return errors.New("unexpected exec") }

func (c endpointsConn) Query(context.Context, string) ([]snowflake.Row, error) {
	return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()": c.infos}}, nil
}

// callbackRequest is one request that the callback receiver served.
type callbackRequest struct {
	Path          string
	Authorization string
	Body          string
}

// callbackReceiver records the callback requests it serves and responds
// with a fixed status.
type callbackReceiver struct {
	mu       sync.Mutex
	status   int
	requests []callbackRequest
}

func (c *callbackReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, callbackRequest{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: string(body)})
	c.mu.Unlock()
	w.WriteHeader(c.status)
}

func (c *callbackReceiver) received() []callbackRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]callbackRequest(nil), c.requests...)
}

// syncBuffer is a bytes.Buffer that handlers on other goroutines can log to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the logged JSON records whose message is msg.
func (b *syncBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var found []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if record["msg"] == msg {
			found = append(found, record)
		}
	}
	return found
}

// loopbackOnly is a transport that rejects every host but a loopback IP
// address, so that no test request can leave the machine.
type loopbackOnly struct{}

func (loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, errors.New("test transport rejects non-loopback host " + r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// gcpAwaitInput returns the await_endpoint task input of the gcp-privatelink
// example with task token token.
func gcpAwaitInput(t *testing.T, token string) []byte {
	t.Helper()
	doc := workflow.Document{
		Request: gcpsandbox.ExampleRequest(t),
		Resources: workflow.Resources{Endpoint: &workflow.Endpoint{
			Result: workflow.Result{ID: attachmentID},
			Host:   "pypi.corp.example.com",
		}},
		Execution: "run-1",
		Token:     token,
	}
	input, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return input
}

func TestPollerCompletesCallbacks(t *testing.T) {
	registeredAt := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	const (
		live    = `[{"provider_service_name":"` + attachmentID + `","endpoint_state":"CREATED","status":"ACCEPTED"}]`
		pending = `[{"provider_service_name":"` + attachmentID + `","endpoint_state":"PENDING_CREATION","status":"PENDING"}]`
	)
	tests := []struct {
		name string
		// foreignToken, when set, is stored straight in Firestore as the
		// token, as a record that await_endpoint would reject.
		foreignToken   string
		infos          string
		pollAfter      time.Duration
		receiverStatus int
		// wantBody is the callback body; empty means no callback is sent.
		wantBody   string
		wantReport poller.Report
		wantWaits  int
		// wantLogged is part of the error of a "complete wait failed"
		// record; empty means no such record.
		wantLogged string
		// wantLoggedType is the ASL error name of that record.
		wantLoggedType string
	}{
		{
			name:           "live endpoint",
			infos:          live,
			pollAfter:      time.Hour,
			receiverStatus: http.StatusOK,
			wantBody:       `{"endpoint_state":"CREATED","status":"ACCEPTED"}`,
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Succeeded: 1},
		},
		{
			name:           "deadline passed",
			infos:          pending,
			pollAfter:      9 * 24 * time.Hour,
			receiverStatus: http.StatusOK,
			wantBody:       `{"error":"Timeout","cause":"await_endpoint: the endpoint to `,
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Failed: 1},
		},
		{
			name:           "still pending",
			infos:          pending,
			pollAfter:      time.Hour,
			receiverStatus: http.StatusOK,
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Pending: 1},
			wantWaits:      1,
		},
		{
			name:           "callback gone",
			infos:          live,
			pollAfter:      time.Hour,
			receiverStatus: http.StatusNotFound,
			wantBody:       `{"endpoint_state":"CREATED","status":"ACCEPTED"}`,
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Succeeded: 1},
		},
		{
			name:           "workflows unavailable",
			infos:          live,
			pollAfter:      time.Hour,
			receiverStatus: http.StatusServiceUnavailable,
			wantBody:       `{"endpoint_state":"CREATED","status":"ACCEPTED"}`,
			// The poller counts a live wait as succeeded even when its
			// callback fails, and counts the failure under errors.
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Succeeded: 1, Errors: 1},
			wantWaits:      1,
			wantLogged:     "HTTP 503",
			wantLoggedType: workflow.ErrTransient,
		},
		{
			name:           "callback forbidden",
			infos:          live,
			pollAfter:      time.Hour,
			receiverStatus: http.StatusForbidden,
			wantBody:       `{"endpoint_state":"CREATED","status":"ACCEPTED"}`,
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Succeeded: 1, Errors: 1},
			wantWaits:      1,
			wantLogged:     "HTTP 403; grant the function's service account roles/workflows.invoker",
			wantLoggedType: workflow.ErrPermissionDenied,
		},
		{
			name:           "foreign callback URL",
			foreignToken:   "https://callbacks.example.net" + callbackPath,
			infos:          live,
			pollAfter:      time.Hour,
			receiverStatus: http.StatusOK,
			wantReport:     poller.Report{Waits: 1, Accounts: 1, Queries: 1, Succeeded: 1, Errors: 1},
			wantWaits:      1,
			wantLogged:     "not a Workflows callback URL: https://callbacks.example.net is not on workflowexecutions.googleapis.com",
			wantLoggedType: workflow.ErrInvalidRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := gcpsandbox.Start(t)
			vars := map[string]string{envWaitsCollection: "waits", envProject: "corp-packages-prod"}

			receiver := &callbackReceiver{status: tt.receiverStatus}
			callbackServer := httptest.NewServer(receiver)
			t.Cleanup(callbackServer.Close)

			logs := &syncBuffer{}
			logger := slog.New(slog.NewJSONHandler(logs, nil))
			env := newAdapters(logger, opts, stores{waits: newWaitRegistry(environment(vars), opts, true, logger)}).env()
			env.Now = func() time.Time { return registeredAt }
			env.Snowflake = func(context.Context, request.Snowflake) (snowflake.Conn, error) {
				return endpointsConn{infos: tt.infos}, nil
			}

			// Register the wait as the workflow does, through
			// await_endpoint, or write a foreign one to the collection.
			store, err := gcpadapter.NewWaits(context.Background(), opts, gcpadapter.WaitsConfig{Project: "corp-packages-prod", Collection: "waits"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.foreignToken == "" {
				awaitServer := serve(t, env, "await_endpoint")
				if status, body := post(t, awaitServer.URL, gcpAwaitInput(t, callbackServer.URL+callbackPath)); status != http.StatusOK {
					t.Fatalf("await_endpoint status = %d (body %s), want 200", status, body)
				}
			} else {
				var doc workflow.Document
				if err := json.Unmarshal(gcpAwaitInput(t, ""), &doc); err != nil {
					t.Fatal(err)
				}
				wait := workflow.Wait{Token: tt.foreignToken, Execution: "run-1", Snowflake: doc.Request.Snowflake,
					ServiceID: attachmentID, Cloud: "gcp", Deadline: registeredAt.Add(8 * 24 * time.Hour), CreatedAt: registeredAt}
				if err := store.Put(context.Background(), wait); err != nil {
					t.Fatal(err)
				}
			}

			pollEnv := *env
			pollEnv.Now = func() time.Time { return registeredAt.Add(tt.pollAfter) }
			tasks := newCallbackTasks(gcpadapter.CallbacksOptions{
				TokenSource:   oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-access-token"}),
				Transport:     loopbackOnly{},
				AllowLoopback: true,
			})
			report := runPoll(t, &poller.Poller{Env: &pollEnv, Tasks: tasks}, logger)
			if diff := cmp.Diff(tt.wantReport, report); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}

			received := receiver.received()
			if tt.wantBody == "" {
				if len(received) != 0 {
					t.Errorf("callback requests = %+v, want none", received)
				}
			} else {
				if len(received) != 1 {
					t.Fatalf("callback requests = %d, want 1", len(received))
				}
				if got := received[0].Path; got != callbackPath {
					t.Errorf("callback path = %q, want %q", got, callbackPath)
				}
				if got := received[0].Authorization; got != "Bearer test-access-token" {
					t.Errorf("Authorization = %q, want the bearer token", got)
				}
				if got := received[0].Body; !strings.HasPrefix(got, tt.wantBody) {
					t.Errorf("callback body = %s, want it to start with %s", got, tt.wantBody)
				}
			}

			waits, err := store.List(context.Background())
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(waits) != tt.wantWaits {
				t.Errorf("waits left = %d, want %d", len(waits), tt.wantWaits)
			}

			failures := logs.records(t, "complete wait failed")
			if tt.wantLogged == "" {
				if len(failures) != 0 {
					t.Errorf("logged %v, want no failed completion", failures)
				}
				return
			}
			if len(failures) != 1 {
				t.Fatalf("failed completions logged = %d, want 1", len(failures))
			}
			if got, _ := failures[0]["error"].(string); !strings.Contains(got, tt.wantLogged) {
				t.Errorf("logged error = %q, want it to contain %q", got, tt.wantLogged)
			}
			if got, _ := failures[0]["error_type"].(string); got != tt.wantLoggedType {
				t.Errorf("logged error_type = %q, want %q", got, tt.wantLoggedType)
			}
		})
	}
}

func TestPollerWithoutWaitRegistry(t *testing.T) {
	// The poller that init registers has no collection in the test
	// environment, so it fails before it reads a credential.
	server := httptest.NewServer(registered[PollerFunction])
	t.Cleanup(server.Close)

	status, body := post(t, server.URL, nil)
	if status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", status)
	}
	var failure Failure
	if err := json.Unmarshal(body, &failure); err != nil {
		t.Fatalf("body %s is not a failure: %v", body, err)
	}
	if failure.Error != workflow.ErrInvalidRequest || !strings.Contains(failure.Cause, envWaitsCollection) {
		t.Errorf("failure = %+v, want InvalidRequest naming %s", failure, envWaitsCollection)
	}
}

func TestPollerRejectsGet(t *testing.T) {
	server := httptest.NewServer(registered[PollerFunction])
	t.Cleanup(server.Close)

	resp, err := http.Get(server.URL)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", resp.StatusCode)
	}
}

// runPoll runs one poll of p through the poller function and returns the
// report of its response.
func runPoll(t *testing.T, p *poller.Poller, logger *slog.Logger) poller.Report {
	t.Helper()
	server := httptest.NewServer(servePoller(p, logger))
	t.Cleanup(server.Close)
	status, body := post(t, server.URL, nil)
	if status != http.StatusOK {
		t.Fatalf("poll status = %d (body %s), want 200", status, body)
	}
	var report poller.Report
	if err := json.Unmarshal(body, &report); err != nil {
		t.Fatalf("poll body %s is not a report: %v", body, err)
	}
	return report
}
