package sqlitestore_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// runExecutions names each execution of an ID after its run number, as
// repolink run does, and closes it at once. startOutside starts one as
// repolink run would, without a delivery. Start returns an
// *webhook.ExistingError when the ID's latest execution ran the same
// request, as the service's Start does.
type runExecutions struct {
	mu       sync.Mutex
	runs     map[string]int    // request ID to its number of runs
	requests map[string]string // execution name to its request's JSON
	// teardown is a succeeded teardown that started after the execution
	// named teardownAfter, or "".
	teardown, teardownAfter string
}

func (r *runExecutions) startOutside(t *testing.T, req request.Request) string {
	t.Helper()
	name, err := r.Start(context.Background(), req)
	if err != nil {
		t.Fatalf("start %s outside the webhook: %v", req.ID, err)
	}
	return name
}

func (r *runExecutions) Start(_ context.Context, req request.Request) (string, error) {
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	base := request.ExecutionName(req.ID)
	if n := r.runs[req.ID]; n > 0 {
		latest := request.RunName(base, n)
		if r.requests[latest] == string(canonical) {
			return "", &webhook.ExistingError{Ticket: req.ID, Execution: latest}
		}
	}
	r.runs[req.ID]++
	name := request.RunName(base, r.runs[req.ID])
	r.requests[name] = string(canonical)
	return name, nil
}

func (r *runExecutions) Status(context.Context, string) (webhook.ExecutionStatus, error) {
	return webhook.ExecutionStatus{Status: "SUCCEEDED"}, nil
}

func (r *runExecutions) Teardown(_ context.Context, _, after string) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.teardown == "" || (after != "" && after != r.teardownAfter) {
		return "", "", nil
	}
	return r.teardown, "SUCCEEDED", nil
}

func (r *runExecutions) Latest(_ context.Context, req request.Request) (string, bool, error) {
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs[req.ID] == 0 {
		return "", false, nil
	}
	name := request.RunName(request.ExecutionName(req.ID), r.runs[req.ID])
	return name, r.requests[name] == string(canonical), nil
}

// secretResolver resolves the Jira mapping's secret reference.
type secretResolver map[string]string

func (m secretResolver) Resolve(_ context.Context, ref string) (string, error) {
	v, ok := m[ref]
	if !ok {
		return "", fmt.Errorf("reference %s not found", ref)
	}
	return v, nil
}

const jiraSecret = "jira-shared-secret"

// newJiraServer serves the example Jira mapping over execs with a store in
// a temporary directory.
func newJiraServer(t *testing.T, execs webhook.Executions) *httptest.Server {
	t.Helper()
	m, err := webhook.ReadMapping("../../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := webhook.NewSource(context.Background(), "jira", m, secretResolver{"env:REPOLINK_JIRA_SECRET": jiraSecret})
	if err != nil {
		t.Fatal(err)
	}
	return serveConfig(t, webhook.Config{Secret: testSecret, Executions: execs, Sources: []webhook.Source{src}})
}

// postJira posts the example Jira payload with replace applied, signed
// with jiraSecret.
func postJira(t *testing.T, srv *httptest.Server, replace ...string) (int, webhook.Response) {
	t.Helper()
	data, err := os.ReadFile("../testdata/jira-issue-updated.json")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.NewReplacer(replace...).Replace(string(data)))
	mac := hmac.New(sha256.New, []byte(jiraSecret))
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/hooks/jira", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(webhook.HeaderHubSignature, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var resp webhook.Response
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, resp
}

// deliverJira serves the example Jira mapping and delivers the example
// ticket. It returns the server, its executions and the request that the
// delivery started as DATA-4711.
func deliverJira(t *testing.T) (*httptest.Server, *runExecutions, request.Request) {
	t.Helper()
	execs := &runExecutions{runs: map[string]int{}, requests: map[string]string{}}
	srv := newJiraServer(t, execs)

	code, resp := postJira(t, srv)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711" {
		t.Fatalf("first delivery = %d %+v, want 202 DATA-4711", code, resp)
	}
	var started request.Request
	if err := json.Unmarshal([]byte(execs.requests["DATA-4711"]), &started); err != nil {
		t.Fatal(err)
	}
	return srv, execs, started
}

// TestJiraEarlierVersionAfterOutsideRun delivers a ticket, then starts a
// changed request of the ticket outside the webhook, as repolink run does.
// A late redelivery of the first version must name the outside run as the
// ticket's latest execution and start nothing.
func TestJiraEarlierVersionAfterOutsideRun(t *testing.T) {
	srv, execs, changed := deliverJira(t)
	changed.Repository.Packages = []string{"requests"}
	if name := execs.startOutside(t, changed); name != "DATA-4711-r2" {
		t.Fatalf("outside start = %s, want DATA-4711-r2", name)
	}

	code, resp := postJira(t, srv)
	if code != http.StatusOK {
		t.Errorf("late redelivery: status %d, want 200", code)
	}
	if resp.Execution != "DATA-4711" || !resp.Duplicate {
		t.Errorf("late redelivery: response %+v, want a duplicate of DATA-4711", resp)
	}
	if resp.Status != webhook.StatusSuperseded || resp.LatestExecution != "DATA-4711-r2" {
		t.Errorf("late redelivery: status %q latest_execution %q, want %s DATA-4711-r2",
			resp.Status, resp.LatestExecution, webhook.StatusSuperseded)
	}
	if got := execs.runs["DATA-4711"]; got != 2 {
		t.Errorf("runs of DATA-4711 = %d, want 2", got)
	}
}

// TestJiraSameVersionAsOutsideRun delivers a ticket, then starts a changed
// request and the first request again outside the webhook, as repolink run
// does. A late redelivery of the first version is a duplicate of the
// outside run, the ticket's latest execution, and not of an earlier one.
func TestJiraSameVersionAsOutsideRun(t *testing.T) {
	srv, execs, first := deliverJira(t)
	changed := first
	changed.Repository.Packages = []string{"requests"}
	execs.startOutside(t, changed)
	if name := execs.startOutside(t, first); name != "DATA-4711-r3" {
		t.Fatalf("second outside start = %s, want DATA-4711-r3", name)
	}

	code, resp := postJira(t, srv)
	if code != http.StatusOK {
		t.Errorf("late redelivery: status %d, want 200", code)
	}
	if resp.Execution != "DATA-4711-r3" || !resp.Duplicate {
		t.Errorf("late redelivery: response %+v, want a duplicate of DATA-4711-r3", resp)
	}
	if resp.Status == webhook.StatusSuperseded || resp.LatestExecution != "" {
		t.Errorf("late redelivery: status %q latest_execution %q, want neither %s nor a later execution",
			resp.Status, resp.LatestExecution, webhook.StatusSuperseded)
	}
	if got := execs.runs["DATA-4711"]; got != 3 {
		t.Errorf("runs of DATA-4711 = %d, want 3", got)
	}
}

// TestJiraEarlierVersionAfterTeardown delivers a ticket, runs a changed
// request outside the webhook and tears that run down. A redelivery of the
// first version is an earlier request of the ticket, not an unchanged one,
// and its run was not the one that the teardown removed.
func TestJiraEarlierVersionAfterTeardown(t *testing.T) {
	srv, execs, changed := deliverJira(t)
	changed.Repository.Packages = []string{"requests"}
	execs.startOutside(t, changed)
	execs.mu.Lock()
	execs.teardown, execs.teardownAfter = "DATA-4711-r2-teardown", "DATA-4711-r2"
	execs.mu.Unlock()

	code, resp := postJira(t, srv)
	if code != http.StatusOK {
		t.Errorf("redelivery: status %d, want 200", code)
	}
	if resp.Execution != "DATA-4711" || !resp.Duplicate {
		t.Errorf("redelivery: response %+v, want a duplicate of DATA-4711", resp)
	}
	if resp.Status != webhook.StatusSuperseded || resp.LatestExecution != "DATA-4711-r2" {
		t.Errorf("redelivery: status %q latest_execution %q, want %s DATA-4711-r2",
			resp.Status, resp.LatestExecution, webhook.StatusSuperseded)
	}
	if resp.Teardown != "DATA-4711-r2-teardown" {
		t.Errorf("redelivery: teardown %q, want DATA-4711-r2-teardown", resp.Teardown)
	}
	if strings.Contains(resp.Reason, "leaves the request unchanged") {
		t.Errorf("redelivery: reason %q calls the earlier request unchanged", resp.Reason)
	}
	if got := execs.runs["DATA-4711"]; got != 2 {
		t.Errorf("runs of DATA-4711 = %d, want 2", got)
	}
}
