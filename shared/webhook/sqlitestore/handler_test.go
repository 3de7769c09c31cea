package sqlitestore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
)

var (
	testSecret = []byte("test-webhook-secret")
	testNow    = time.Unix(1_800_000_000, 0)
)

// countingExecutions starts executions named after the request ID, as the
// service does, and counts the starts per name. Its executions never
// close, so a request of an ID whose execution runs another request gets a
// *webhook.RunningError, as from the service.
type countingExecutions struct {
	mu       sync.Mutex
	starts   map[string]int
	requests map[string]string // execution name to its request's JSON
	total    atomic.Int32
}

func (c *countingExecutions) Start(_ context.Context, req request.Request) (string, error) {
	name := request.ExecutionName(req.ID)
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if running, ok := c.requests[name]; ok {
		if running != string(canonical) {
			return "", &webhook.RunningError{Ticket: req.ID, Execution: name}
		}
		return name, nil
	}
	if c.requests == nil {
		c.requests = map[string]string{}
	}
	c.requests[name] = string(canonical)
	c.total.Add(1)
	c.starts[name]++
	return name, nil
}

func (c *countingExecutions) Status(context.Context, string) (webhook.ExecutionStatus, error) {
	return webhook.ExecutionStatus{Status: "RUNNING"}, nil
}

func (c *countingExecutions) Teardown(context.Context, string, string) (string, string, error) {
	return "", "", nil
}

func (c *countingExecutions) Latest(_ context.Context, req request.Request) (string, bool, error) {
	name := request.ExecutionName(req.ID)
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ran, ok := c.requests[name]
	if !ok {
		return "", false, nil
	}
	return name, ran == string(canonical), nil
}

func exampleRequest(t *testing.T, edit func(map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("../../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(doc)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newServer(t *testing.T, execs webhook.Executions) *httptest.Server {
	t.Helper()
	return serveConfig(t, webhook.Config{Secret: testSecret, Executions: execs, Now: func() time.Time { return testNow }})
}

// serveConfig serves the webhook handler of cfg with a store in a
// temporary directory as cfg.Store.
func serveConfig(t *testing.T, cfg webhook.Config) *httptest.Server {
	t.Helper()
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "webhook.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg.Store = store
	h, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, body []byte) (int, webhook.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/requests", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	webhook.SetSignature(req.Header, testSecret, testNow, body)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Error(err)
		return 0, webhook.Response{}
	}
	defer res.Body.Close()
	var resp webhook.Response
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		t.Errorf("decode response: %v", err)
	}
	return res.StatusCode, resp
}

func TestWebhookRacingDuplicates(t *testing.T) {
	tests := []struct {
		name      string
		different bool // every delivery carries a different request
		wantCodes map[int]int
	}{
		{name: "same body", wantCodes: map[int]int{http.StatusAccepted: 1, http.StatusOK: 49}},
		{name: "different bodies", different: true, wantCodes: map[int]int{http.StatusAccepted: 1, http.StatusConflict: 49}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			execs := &countingExecutions{starts: map[string]int{}}
			srv := newServer(t, execs)

			const deliveries = 50
			bodies := make([][]byte, deliveries)
			for i := range bodies {
				bodies[i] = exampleRequest(t, func(doc map[string]any) {
					if tt.different {
						doc["repository"].(map[string]any)["packages"] = []string{"requests", fmt.Sprintf("package-%02d", i)}
					}
				})
			}
			var mu sync.Mutex
			codes := map[int]int{}
			executions := map[string]int{}
			var wg sync.WaitGroup
			for i := range deliveries {
				wg.Go(func() {
					code, resp := post(t, srv, bodies[i])
					mu.Lock()
					defer mu.Unlock()
					codes[code]++
					// A rejected delivery names the execution in its way
					// only under blocking_execution.
					if code == http.StatusConflict {
						executions[resp.BlockingExecution]++
						if resp.Execution != "" {
							t.Errorf("rejected delivery names execution %q, want none", resp.Execution)
						}
						return
					}
					executions[resp.Execution]++
				})
			}
			wg.Wait()

			if diff := cmp.Diff(tt.wantCodes, codes); diff != "" {
				t.Errorf("status codes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]int{"DATA-4711": deliveries}, executions); diff != "" {
				t.Errorf("executions named (-want +got):\n%s", diff)
			}
			if got := execs.total.Load(); got != 1 {
				t.Errorf("executions started = %d, want 1", got)
			}
		})
	}
}

func TestWebhookManyTicketsWithDuplicates(t *testing.T) {
	execs := &countingExecutions{starts: map[string]int{}}
	srv := newServer(t, execs)

	const tickets, perTicket = 20, 5
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range tickets * perTicket {
		body := exampleRequest(t, func(doc map[string]any) { doc["id"] = fmt.Sprintf("DATA-%03d", i%tickets) })
		wg.Go(func() {
			code, _ := post(t, srv, body)
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
		})
	}
	wg.Wait()

	want := map[int]int{http.StatusAccepted: tickets, http.StatusOK: tickets * (perTicket - 1)}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("status codes (-want +got):\n%s", diff)
	}
	wantStarts := map[string]int{}
	for i := range tickets {
		wantStarts[fmt.Sprintf("DATA-%03d", i)] = 1
	}
	if diff := cmp.Diff(wantStarts, execs.starts); diff != "" {
		t.Errorf("starts per execution (-want +got):\n%s", diff)
	}
}
