package gcf

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	executions "google.golang.org/api/workflowexecutions/v1"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	testWorkflow   = "projects/corp-packages-prod/locations/us-central1/workflows/repolink-provision"
	testWebhookKey = "webhook-key-that-must-stay-secret"
	testJiraKey    = "jira-key-that-must-stay-secret"
	testKeyRef     = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-webhook/versions/1"
	testJiraKeyRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-jira/versions/1"

	testServiceNowToken    = "servicenow-token-that-must-stay-secret"
	testServiceNowTokenRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-servicenow-token/versions/1"
	// testServiceNowMACKey is base64, as the mapping's key_encoding states.
	testServiceNowMACKey    = "c2VydmljZW5vdy1tYWMta2V5"
	testServiceNowMACKeyRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-servicenow-mac/versions/1"
)

// workflowsServer serves the Workflow Executions API calls that the
// webhook makes, for one workflow, and keeps executions in memory.
type workflowsServer struct {
	mu         sync.Mutex
	executions []*executions.Execution // oldest first
	// steps are the step names that each execution ID entered.
	steps map[string][]string
	// startStatus, when not zero, is the HTTP status with which every
	// create call fails without creating an execution.
	startStatus int
}

var labelFilter = regexp.MustCompile(`^labels\.([a-z_]+)="([^"]*)"$`)

func (s *workflowsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "/v1/" + testWorkflow + "/executions"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	switch {
	case !ok:
		http.Error(w, `{"error": {"code": 404, "status": "NOT_FOUND"}}`, http.StatusNotFound)
	case r.Method == http.MethodPost && rest == "" && s.startStatus != 0:
		http.Error(w, fmt.Sprintf(`{"error": {"code": %d, "message": "start failed in the test"}}`, s.startStatus), s.startStatus)
	case r.Method == http.MethodPost && rest == "":
		var x executions.Execution
		if err := json.NewDecoder(r.Body).Decode(&x); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		x.Name = fmt.Sprintf("%s/exec-%d", prefix[len("/v1/"):], len(s.executions)+1)
		x.State = "ACTIVE"
		x.StartTime = time.Date(2026, 1, 1, 0, len(s.executions), 0, 0, time.UTC).Format(time.RFC3339Nano)
		s.executions = append(s.executions, &x)
		writeJSON(w, http.StatusOK, &x)
	case r.Method == http.MethodGet && rest == "":
		s.list(w, r)
	case r.Method == http.MethodGet && strings.HasSuffix(rest, "/stepEntries"):
		id := strings.TrimSuffix(strings.TrimPrefix(rest, "/"), "/stepEntries")
		var entries []*executions.StepEntry
		for _, step := range s.steps[id] {
			entries = append(entries, &executions.StepEntry{Step: step})
		}
		writeJSON(w, http.StatusOK, &executions.ListStepEntriesResponse{StepEntries: entries})
	case r.Method == http.MethodGet:
		if x := s.find(strings.TrimPrefix(rest, "/")); x != nil {
			writeJSON(w, http.StatusOK, x)
			return
		}
		http.Error(w, `{"error": {"code": 404, "status": "NOT_FOUND"}}`, http.StatusNotFound)
	default:
		http.Error(w, "unexpected call", http.StatusBadRequest)
	}
}

// list responds to a list call with a label filter, newest first.
func (s *workflowsServer) list(w http.ResponseWriter, r *http.Request) {
	m := labelFilter.FindStringSubmatch(r.URL.Query().Get("filter"))
	if m == nil || r.URL.Query().Get("view") != "FULL" {
		http.Error(w, "list needs a label filter and the FULL view", http.StatusBadRequest)
		return
	}
	out := &executions.ListExecutionsResponse{}
	for i := len(s.executions) - 1; i >= 0; i-- {
		if s.executions[i].Labels[m[1]] == m[2] {
			out.Executions = append(out.Executions, s.executions[i])
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *workflowsServer) find(id string) *executions.Execution {
	for _, x := range s.executions {
		if strings.HasSuffix(x.Name, "/"+id) {
			return x
		}
	}
	return nil
}

// finish sets the state of every execution, as if they had closed.
func (s *workflowsServer) finish(state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.executions {
		x.State = state
	}
}

// failStarts makes every later create call fail with status, or succeed
// again when status is 0.
func (s *workflowsServer) failStarts(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startStatus = status
}

func (s *workflowsServer) started() []*executions.Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*executions.Execution(nil), s.executions...)
}

// newTestWebhook starts the Firestore simulator and a Workflows server
// behind one loopback endpoint, and returns the webhook on them. mappings
// sets the mapping variables, such as REPOLINK_JIRA_MAPPING, and other
// variables, such as REPOLINK_ALLOW_SECRET_REFS.
func newTestWebhook(t *testing.T, mappings map[string]string) (*httptest.Server, *workflowsServer) {
	t.Helper()
	return newTestWebhookWith(t, mappings, nil)
}

// newTestWebhookWith is newTestWebhook with stepEnv as the environment of
// the start checks, or none when it is nil.
func newTestWebhookWith(t *testing.T, mappings map[string]string, stepEnv *workflow.Env) (*httptest.Server, *workflowsServer) {
	t.Helper()
	sim, _ := startGCPSim(t)
	simURL, err := url.Parse(sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	firestore := httputil.NewSingleHostReverseProxy(simURL)
	workflows := &workflowsServer{steps: map[string][]string{}}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/databases/") {
			firestore.ServeHTTP(w, r)
			return
		}
		workflows.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	env := map[string]string{
		envWorkflow:        testWorkflow,
		envSigningSecret:   testKeyRef,
		envWaitsCollection: "repolink-waits",
		envWaitsProject:    "corp-packages-prod",
	}
	for name, path := range mappings {
		env[name] = path
	}
	keys := map[string]string{testKeyRef: testWebhookKey, testJiraKeyRef: testJiraKey,
		testServiceNowTokenRef: testServiceNowToken, testServiceNowMACKeyRef: testServiceNowMACKey}
	getenv := func(name string) string { return env[name] }
	// The webhook checks references with the list of the function's
	// adapters, as in init.
	allow := newAdapters(slog.New(slog.DiscardHandler), simOptions(front.URL),
		stores{signingSecret: testKeyRef, secretRefs: env[envAllowSecretRefs], mappings: loadMappingSecrets(getenv)}).requests
	service := &webhookService{deps: webhookDeps{
		getenv: getenv,
		gcp:    simOptions(front.URL),
		resolve: func(_ context.Context, ref string) (string, error) {
			if key, ok := keys[ref]; ok {
				return key, nil
			}
			return "", fmt.Errorf("secret %s not found", ref)
		},
		requests:   allow,
		logger:     slog.New(slog.DiscardHandler),
		deliveries: gcpadapter.DeliveriesOptions{PollInterval: time.Millisecond},
		env:        stepEnv,
	}}
	server := httptest.NewServer(service)
	t.Cleanup(server.Close)
	return server, workflows
}

// exampleRequest returns examples/gcp-privatelink.json with change applied.
func exampleRequest(t *testing.T, change func(doc map[string]any)) []byte {
	t.Helper()
	return editJSON(t, "../../examples/gcp-privatelink.json", change)
}

// editJSON returns the JSON object in the file at path, with change applied
// when change is not nil.
func editJSON(t *testing.T, path string, change func(doc map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(doc)
	}
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeMapping writes the example mapping at path, with change applied, to
// a file in a temporary directory and returns the new file's path.
func writeMapping(t *testing.T, path string, change func(mapping map[string]any)) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, editJSON(t, path, change), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// signedDeliveries counts the deliveries that postSigned sends.
var signedDeliveries atomic.Int64

// postSigned posts body to /v1/requests, signed with key, as a new
// delivery. Two calls within one second would sign the same timestamp and
// body, which the webhook treats as a replay, so each call appends its
// own number of spaces, which leaves the request unchanged.
func postSigned(t *testing.T, server *httptest.Server, key string, body []byte) (int, webhook.Response) {
	t.Helper()
	body = append(slices.Clip(body), strings.Repeat(" ", int(signedDeliveries.Add(1)))...)
	req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/requests", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	webhook.SetSignature(req.Header, []byte(key), time.Now(), body)
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, webhook.Response) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out webhook.Response
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("response %s is not JSON: %v", data, err)
	}
	for _, key := range []string{testWebhookKey, testJiraKey, testServiceNowToken, testServiceNowMACKey} {
		if strings.Contains(string(data), key) {
			t.Errorf("response contains a key: %s", data)
		}
	}
	return resp.StatusCode, out
}

func TestWebhookStartsExecution(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	body := exampleRequest(t, nil)

	status, out := postSigned(t, server, testWebhookKey, body)
	if status != http.StatusAccepted {
		t.Fatalf("status = %d (%+v), want 202", status, out)
	}
	if out.Execution != "exec-1" || out.Status != "RUNNING" {
		t.Errorf("response = %+v, want execution exec-1 RUNNING", out)
	}
	started := workflows.started()
	if len(started) != 1 {
		t.Fatalf("%d executions started, want 1", len(started))
	}

	var argument, want map[string]any
	if err := json.Unmarshal([]byte(started[0].Argument), &argument); err != nil {
		t.Fatal(err)
	}
	parsed, err := request.ParseJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(map[string]any{"request": parsed, "resources": map[string]any{}})
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, argument); diff != "" {
		t.Errorf("execution argument (-want +got):\n%s", diff)
	}
	if strings.Contains(started[0].Argument, testWebhookKey) {
		t.Error("execution argument contains the webhook key")
	}
	if got := started[0].Labels[requestLabel]; got != requestLabelValue("DATA-4911") {
		t.Errorf("label %s = %q, want the label value of DATA-4911", requestLabel, got)
	}
}

func TestWebhookBadSignature(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)

	status, out := postSigned(t, server, "another-key", exampleRequest(t, nil))
	if status != http.StatusUnauthorized {
		t.Errorf("status = %d (%+v), want 401", status, out)
	}
	if n := len(workflows.started()); n != 0 {
		t.Errorf("%d executions started, want 0", n)
	}
}

func TestWebhookInvalidField(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	body := exampleRequest(t, func(doc map[string]any) {
		doc["snowflake"].(map[string]any)["account"] = ""
	})

	status, out := postSigned(t, server, testWebhookKey, body)
	if status != http.StatusBadRequest {
		t.Fatalf("status = %d (%+v), want 400", status, out)
	}
	if len(out.Errors) == 0 || out.Errors[0].Path != "$.snowflake.account" {
		t.Errorf("field errors = %+v, want one on $.snowflake.account", out.Errors)
	}
	if n := len(workflows.started()); n != 0 {
		t.Errorf("%d executions started, want 0", n)
	}
}

func TestWebhookRejectsRequestRefs(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	body := exampleRequest(t, func(doc map[string]any) {
		auth := doc["repository"].(map[string]any)["auth"].(map[string]any)
		auth["password_ref"] = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-webhook/versions/2"
		doc["snowflake"].(map[string]any)["private_key_ref"] = "env:SNOWFLAKE_KEY"
	})

	status, out := postSigned(t, server, testWebhookKey, body)
	if status != http.StatusBadRequest {
		t.Fatalf("status = %d (%+v), want 400", status, out)
	}
	paths := map[string]bool{}
	for _, field := range out.Errors {
		paths[field.Path] = true
	}
	for _, path := range []string{"$.repository.auth.password_ref", "$.snowflake.private_key_ref"} {
		if !paths[path] {
			t.Errorf("field errors %+v have none on %s", out.Errors, path)
		}
	}
	if n := len(workflows.started()); n != 0 {
		t.Errorf("%d executions started, want 0", n)
	}
}

func TestWebhookUnservedRoute(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}

	status, out := postSigned(t, server, testWebhookKey, data)
	checkUnservedRoute(t, status, out, workflows)
}

// checkUnservedRoute checks the response to a request on a route that this
// deployment does not serve: a 400 with the first field error on $.route,
// and no execution started.
func checkUnservedRoute(t *testing.T, status int, out webhook.Response, workflows *workflowsServer) {
	t.Helper()
	if status != http.StatusBadRequest {
		t.Fatalf("status = %d (%+v), want 400", status, out)
	}
	if len(out.Errors) == 0 || out.Errors[0].Path != "$.route" {
		t.Errorf("field errors = %+v, want the first on $.route", out.Errors)
	}
	if n := len(workflows.started()); n != 0 {
		t.Errorf("%d executions started, want 0", n)
	}
}

func TestWebhookDuplicateDelivery(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	body := exampleRequest(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, body); status != http.StatusAccepted {
		t.Fatalf("first delivery: status = %d (%+v), want 202", status, out)
	}

	status, out := postSigned(t, server, testWebhookKey, body)
	if status != http.StatusOK {
		t.Errorf("status = %d (%+v), want 200", status, out)
	}
	if !out.Duplicate || out.Execution != "exec-1" || out.Status != "RUNNING" {
		t.Errorf("response = %+v, want a duplicate of exec-1, RUNNING", out)
	}
	if n := len(workflows.started()); n != 1 {
		t.Errorf("%d executions started, want 1", n)
	}
}

func TestWebhookChangedRequestWhileRunning(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status != http.StatusAccepted {
		t.Fatalf("first delivery: status = %d (%+v), want 202", status, out)
	}
	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})

	status, out := postSigned(t, server, testWebhookKey, changed)
	if status != http.StatusConflict {
		t.Errorf("status = %d (%+v), want 409", status, out)
	}
	if out.BlockingExecution != "exec-1" || out.Status != webhook.StatusRejected {
		t.Errorf("blocking_execution, status = %q, %q, want exec-1, %s", out.BlockingExecution, out.Status, webhook.StatusRejected)
	}
	if out.Execution != "" {
		t.Errorf("execution = %q, want none because nothing started", out.Execution)
	}
	if n := len(workflows.started()); n != 1 {
		t.Errorf("%d executions started, want 1", n)
	}
}

func TestWebhookPlacementChange(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status != http.StatusAccepted {
		t.Fatalf("first delivery: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")
	moved := exampleRequest(t, func(doc map[string]any) {
		gcp := doc["gcp"].(map[string]any)
		gcp["region"] = "europe-west1"
		gcp["zone"] = "europe-west1-b"
	})

	status, out := postSigned(t, server, testWebhookKey, moved)
	if status != http.StatusConflict {
		t.Fatalf("status = %d (%+v), want 409", status, out)
	}
	if out.BlockingExecution != "exec-1" || out.Execution != "" || out.Status != webhook.StatusRejected {
		t.Errorf("response = %+v, want status %s naming exec-1 only under blocking_execution", out, webhook.StatusRejected)
	}
	prefix := "request DATA-4911 changes $.gcp.region, $.gcp.zone"
	if !strings.HasPrefix(out.Error, prefix) || !strings.Contains(out.Error, "from execution exec-1 (SUCCEEDED)") {
		t.Errorf("error = %q, want it to start with %q and name exec-1", out.Error, prefix)
	}
	// The request with a new id keeps the earlier one's repository name,
	// so the advice names it as a change that a new id needs too.
	if !strings.Contains(out.Error, ", or give this request a new id together with another $.repository.name") {
		t.Errorf("error = %q, want the advice to give the request a new id and another repository name", out.Error)
	}
	if n := len(workflows.started()); n != 1 {
		t.Errorf("%d executions started, want 1", n)
	}
}

func TestWebhookPlacementAfterPreflightFailure(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	if status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, nil)); status != http.StatusAccepted {
		t.Fatalf("first delivery: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("FAILED")
	workflows.steps["exec-1"] = []string{"init", "check_input", "before_endpoint", "preflight", "preflight_until_ready",
		"release_endpoint_reservation", "raise_again"}
	moved := exampleRequest(t, func(doc map[string]any) {
		gcp := doc["gcp"].(map[string]any)
		gcp["region"] = "europe-west1"
		gcp["zone"] = "europe-west1-b"
	})

	status, out := postSigned(t, server, testWebhookKey, moved)
	if status != http.StatusAccepted {
		t.Errorf("status = %d (%+v), want 202, because the failed run built nothing", status, out)
	}

	workflows.finish("FAILED")
	workflows.steps["exec-2"] = []string{"init", "before_endpoint", "preflight_until_ready", "gcp_proxy_vm_until_ready", "raise_again"}
	status, out = postSigned(t, server, testWebhookKey, exampleRequest(t, nil))
	if status != http.StatusConflict {
		t.Fatalf("status = %d (%+v), want 409, because exec-2 may have built its proxy VM", status, out)
	}
	if !strings.Contains(out.Error, "from execution exec-2 (FAILED), which may have built resources before it stopped") {
		t.Errorf("error = %q, want it to name exec-2 as stopped after building", out.Error)
	}
	// exec-2 stopped before its endpoint step, so it has no Snowflake
	// private endpoint for a teardown to deprovision.
	const cost = "deprovisions its Snowflake private endpoint"
	if strings.Contains(out.Error, cost) {
		t.Errorf("error = %q, want no %q for a run without an endpoint", out.Error, cost)
	}

	workflows.steps["exec-2"] = []string{"init", "before_endpoint", "preflight_until_ready", "gcp_proxy_vm_until_ready",
		"endpoint", "endpoint_until_ready", "raise_again"}
	status, out = postSigned(t, server, testWebhookKey, exampleRequest(t, nil))
	if status != http.StatusConflict {
		t.Fatalf("status = %d (%+v), want 409, because exec-2 may have built its endpoint", status, out)
	}
	if !strings.Contains(out.Error, cost) {
		t.Errorf("error = %q, want %q for a run that entered its endpoint step", out.Error, cost)
	}
}

// jiraMapping writes examples/jira-mapping.json changed for this
// deployment: the key in Secret Manager and a gcp-privatelink request.
func jiraMapping(t *testing.T) string {
	t.Helper()
	var example map[string]any
	if err := json.Unmarshal(exampleRequest(t, nil), &example); err != nil {
		t.Fatal(err)
	}
	delete(example, "id")
	return writeMapping(t, "../../examples/jira-mapping.json", func(mapping map[string]any) {
		mapping["auth"].(map[string]any)["secret_ref"] = testJiraKeyRef
		mapping["request"] = example
		fields := mapping["fields"].(map[string]any)
		fields["gcp.upstream"] = fields["aws.upstream"]
		delete(fields, "aws.upstream")
	})
}

func TestWebhookJiraDelivery(t *testing.T) {
	server, workflows := newTestWebhook(t, map[string]string{envJiraMapping: jiraMapping(t)})
	body, err := os.ReadFile("../../shared/webhook/testdata/jira-issue-updated.json")
	if err != nil {
		t.Fatal(err)
	}
	post := func(key string) (int, webhook.Response) {
		req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/hooks/jira", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(body)
		req.Header.Set(webhook.HeaderHubSignature, "sha256="+hex.EncodeToString(mac.Sum(nil)))
		return send(t, req)
	}

	if status, out := post("another-key"); status != http.StatusUnauthorized {
		t.Errorf("wrong key: status = %d (%+v), want 401", status, out)
	}
	status, out := post(testJiraKey)
	if status != http.StatusAccepted {
		t.Fatalf("status = %d (%+v), want 202", status, out)
	}
	started := workflows.started()
	if len(started) != 1 {
		t.Fatalf("%d executions started, want 1", len(started))
	}
	if !strings.Contains(started[0].Argument, `"id":"DATA-4711"`) || !strings.Contains(started[0].Argument, `"region":"us-central1"`) {
		t.Errorf("argument %s does not carry the ticket's request", started[0].Argument)
	}
}

func TestRegisteredWebhookNotConfigured(t *testing.T) {
	server := httptest.NewServer(registered[WebhookFunction])
	defer server.Close()
	req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/requests", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}

	status, out := send(t, req)
	if status != http.StatusInternalServerError {
		t.Errorf("status = %d (%+v), want 500", status, out)
	}
	if out.Error != "the webhook is not configured; the function log has the cause" {
		t.Errorf("error = %q, want the configuration error", out.Error)
	}
}

func TestLoadWebhookConfig(t *testing.T) {
	_, err := loadWebhookConfig(func(string) string { return "" })
	if err == nil {
		t.Fatal("empty environment: no error")
	}
	for _, name := range []string{envWorkflow, envSigningSecret, envWaitsCollection} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

// serviceNowMapping writes examples/servicenow-mapping.json with its
// credentials in Secret Manager. Its request keeps the aws-privatelink
// route.
func serviceNowMapping(t *testing.T) string {
	t.Helper()
	return writeMapping(t, "../../examples/servicenow-mapping.json", func(mapping map[string]any) {
		auth := mapping["auth"].(map[string]any)
		auth["token_ref"] = testServiceNowTokenRef
		auth["signature"].(map[string]any)["key_ref"] = testServiceNowMACKeyRef
	})
}

func TestWebhookServiceNowUnservedRoute(t *testing.T) {
	server, workflows := newTestWebhook(t, map[string]string{envServiceNowMapping: serviceNowMapping(t)})
	body, err := os.ReadFile("../../shared/webhook/testdata/servicenow-approved.json")
	if err != nil {
		t.Fatal(err)
	}
	key, err := base64.StdEncoding.DecodeString(testServiceNowMACKey)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/hooks/servicenow", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testServiceNowToken)
	req.Header.Set("X-ServiceNow-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))

	status, out := send(t, req)
	checkUnservedRoute(t, status, out, workflows)
}
