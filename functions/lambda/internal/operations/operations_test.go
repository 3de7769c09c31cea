package operations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/lambda/internal/operations"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sfnapi"
)

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// machine has the state names of the provision definition: ProxyVM records
// a resource, and TargetGroup fails for the request DATA-FAIL.
const machine = `{"StartAt":"ProxyVM","States":{
	"ProxyVM":{"Type":"Task","Resource":"proxy_vm","ResultPath":"$.resources.proxy_vm","Next":"TargetGroup"},
	"TargetGroup":{"Type":"Task","Resource":"target_group","ResultPath":"$.resources.target_group","End":true}}}`

// teardownMachine has state names of the teardown definition:
// TeardownProxyVM fails for the request DATA-FAIL with a cause that names
// no step.
const teardownMachine = `{"StartAt":"TeardownSnowflake","States":{
	"TeardownSnowflake":{"Type":"Task","Resource":"teardown_snowflake","ResultPath":"$.resources.teardown_snowflake","Next":"TeardownProxyVM"},
	"TeardownProxyVM":{"Type":"Task","Resource":"teardown_proxy_vm","ResultPath":"$.resources.teardown_proxy_vm","End":true}}}`

// fixture runs the engine behind the Step Functions API and the operations
// API on the adapter, as the Lambda function runs it on Step Functions.
type fixture struct {
	engine *engine.Engine
	api    *operations.API
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{Region: "us-west-2", Account: "123456789012"})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	e.Register("proxy_vm", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"action":"created","id":"i-0a1b2c3d4e5f60718"}`), nil
	})
	e.Register("target_group", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		if strings.Contains(string(in), "DATA-FAIL") {
			return nil, errors.New("target_group: subnet subnet-0a1b2c3d4e5f60718 not found")
		}
		if strings.Contains(string(in), "DATA-NOSTEP") {
			return nil, errors.New("subnet subnet-0a1b2c3d4e5f60718 not found")
		}
		return json.RawMessage(`{"action":"created","id":"tg-1"}`), nil
	})
	e.Register("teardown_snowflake", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"action":"deleted","id":"PLATFORM.PACKAGES.CORP_PYPI"}`), nil
	})
	e.Register("teardown_proxy_vm", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		if strings.Contains(string(in), "DATA-FAIL") {
			return nil, errors.New("instance i-0a1b2c3d4e5f60718 is still attached")
		}
		return json.RawMessage(`{"action":"deleted","id":"i-0a1b2c3d4e5f60718"}`), nil
	})
	if err := e.Define("rl-provision", []byte(machine)); err != nil {
		t.Fatalf("define machine: %v", err)
	}
	if err := e.Define("rl-teardown", []byte(teardownMachine)); err != nil {
		t.Fatalf("define teardown machine: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	server := httptest.NewServer(sfnapi.New(e, sfnapi.Options{}))
	t.Cleanup(server.Close)
	client := sfn.New(sdk.New(sdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	}))
	return &fixture{
		engine: e,
		api: &operations.API{Executions: client, StateMachineARN: e.StateMachineARN("rl-provision"),
			TeardownStateMachineARN: e.StateMachineARN("rl-teardown")},
	}
}

// run starts a provision execution for the request id and waits until it
// stops.
func (f *fixture) run(t *testing.T, id string) {
	t.Helper()
	f.runMachine(t, "rl-provision", id, id)
}

// runMachine starts the execution name of a machine for the request id and
// waits until it stops.
func (f *fixture) runMachine(t *testing.T, machine, name, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.engine.Start(ctx, machine, name, json.RawMessage(`{"request":{"id":"`+id+`"}}`)); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	if _, err := f.engine.Wait(ctx, name); err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
}

// get sends a GET through the HTTP API route and decodes the JSON body.
func (f *fixture) get(t *testing.T, method, path string, query map[string]string, body any) int {
	t.Helper()
	resp, err := f.api.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RawPath:               path,
		QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	})
	if err != nil {
		t.Fatalf("Handle %s %s: %v", method, path, err)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("%s %s: Content-Type = %q, want application/json", method, path, got)
	}
	if err := json.Unmarshal([]byte(resp.Body), body); err != nil {
		t.Fatalf("%s %s: body %s is not JSON: %v", method, path, resp.Body, err)
	}
	return resp.StatusCode
}

func TestListExecutions(t *testing.T) {
	f := newFixture(t)
	f.run(t, "DATA-OK")
	f.run(t, "DATA-FAIL")

	var body struct {
		Executions []map[string]any `json:"executions"`
		NextToken  string           `json:"next_token"`
	}
	if code := f.get(t, "GET", "/operations/v1/executions", nil, &body); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200", code)
	}
	got := map[string]any{}
	for _, x := range body.Executions {
		got[x["name"].(string)] = x["status"]
		if x["started_at"] == nil || x["stopped_at"] == nil {
			t.Errorf("execution %v has no started_at or stopped_at", x)
		}
	}
	if diff := cmp.Diff(map[string]any{"DATA-OK": "SUCCEEDED", "DATA-FAIL": "FAILED"}, got); diff != "" {
		t.Errorf("executions (-want +got):\n%s", diff)
	}
	if body.NextToken != "" {
		t.Errorf("next_token = %q, want none", body.NextToken)
	}

	body.Executions = nil
	if code := f.get(t, "GET", "/operations/v1/executions", map[string]string{"status": "failed"}, &body); code != http.StatusOK {
		t.Fatalf("status code with status=failed = %d, want 200", code)
	}
	if len(body.Executions) != 1 || body.Executions[0]["name"] != "DATA-FAIL" {
		t.Errorf("executions with status=failed = %v, want DATA-FAIL only", body.Executions)
	}
}

// runInOrder runs the executions one after another, each in a later
// millisecond than the one before, because Step Functions reports start
// dates in milliseconds and the list orders by them.
func (f *fixture) runInOrder(t *testing.T, runs []listedRun) {
	t.Helper()
	for _, r := range runs {
		f.runMachine(t, r.machine, r.name, r.id)
		// The run started at or before this millisecond, so the next run
		// starts in a later one. A mark taken before the run would let
		// both start in one millisecond when the start crossed into it.
		finished := time.Now().UnixMilli()
		for time.Now().UnixMilli() == finished {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

type listedRun struct{ machine, name, id string }

// listPage is the body of GET /v1/executions.
type listPage struct {
	Executions []map[string]any `json:"executions"`
	NextToken  string           `json:"next_token"`
	Error      string           `json:"error"`
}

// listAll follows next_token from the first page to the last and returns
// the names of the listed executions and the number of pages.
func (f *fixture) listAll(t *testing.T, query map[string]string) ([]string, int) {
	t.Helper()
	var names []string
	token := ""
	for pages := 1; pages <= 20; pages++ {
		q := map[string]string{}
		for k, v := range query {
			q[k] = v
		}
		if token != "" {
			q["next_token"] = token
		}
		var body listPage
		if code := f.get(t, "GET", "/operations/v1/executions", q, &body); code != http.StatusOK {
			t.Fatalf("page %d: status code = %d, want 200 (error %q)", pages, code, body.Error)
		}
		for _, x := range body.Executions {
			names = append(names, x["name"].(string))
		}
		if body.NextToken == "" {
			return names, pages
		}
		token = body.NextToken
	}
	t.Fatalf("list did not end after 20 pages; listed %v", names)
	return nil, 0
}

func TestListBothMachines(t *testing.T) {
	f := newFixture(t)
	f.runInOrder(t, []listedRun{
		{"rl-provision", "DATA-A", "DATA-A"},
		{"rl-teardown", "DATA-A-teardown", "DATA-A"},
		{"rl-provision", "DATA-B", "DATA-B"},
		{"rl-provision", "DATA-C", "DATA-C"},
		{"rl-teardown", "DATA-B-teardown", "DATA-B"},
		{"rl-teardown", "DATA-C-teardown", "DATA-C"},
	})
	want := []string{"DATA-C-teardown", "DATA-B-teardown", "DATA-C", "DATA-B", "DATA-A-teardown", "DATA-A"}

	tests := []struct {
		maxResults string
		pages      int
	}{
		{"", 1},
		{"1", 6},
		{"2", 3},
		{"4", 2},
		{"6", 1},
		{"1000", 1},
	}
	for _, tt := range tests {
		t.Run("max_results="+tt.maxResults, func(t *testing.T) {
			query := map[string]string{}
			if tt.maxResults != "" {
				query["max_results"] = tt.maxResults
			}
			got, pages := f.listAll(t, query)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("executions (-want +got):\n%s", diff)
			}
			if pages != tt.pages {
				t.Errorf("%d pages, want %d", pages, tt.pages)
			}
		})
	}
}

func TestListStatusBothMachines(t *testing.T) {
	f := newFixture(t)
	f.runInOrder(t, []listedRun{
		{"rl-provision", "DATA-FAIL", "DATA-FAIL"},
		{"rl-provision", "DATA-OK", "DATA-OK"},
		{"rl-teardown", "DATA-FAIL-teardown", "DATA-FAIL"},
		{"rl-teardown", "DATA-OK-teardown", "DATA-OK"},
	})

	got, _ := f.listAll(t, map[string]string{"status": "FAILED", "max_results": "1"})
	if diff := cmp.Diff([]string{"DATA-FAIL-teardown", "DATA-FAIL"}, got); diff != "" {
		t.Errorf("FAILED executions (-want +got):\n%s", diff)
	}
	got, _ = f.listAll(t, map[string]string{"status": "SUCCEEDED"})
	if diff := cmp.Diff([]string{"DATA-OK-teardown", "DATA-OK"}, got); diff != "" {
		t.Errorf("SUCCEEDED executions (-want +got):\n%s", diff)
	}
}

func TestListInvalidNextToken(t *testing.T) {
	f := newFixture(t)
	f.runInOrder(t, []listedRun{
		{"rl-provision", "DATA-FAIL", "DATA-FAIL"},
		{"rl-provision", "DATA-OK", "DATA-OK"},
		{"rl-teardown", "DATA-FAIL-teardown", "DATA-FAIL"},
	})
	var first listPage
	f.get(t, "GET", "/operations/v1/executions", map[string]string{"status": "FAILED", "max_results": "1"}, &first)
	if first.NextToken == "" {
		t.Fatal("first page of FAILED executions has no next_token")
	}
	var all listPage
	f.get(t, "GET", "/operations/v1/executions", map[string]string{"max_results": "1"}, &all)
	f.get(t, "GET", "/operations/v1/executions", map[string]string{"max_results": "1", "next_token": all.NextToken}, &all)
	if all.NextToken == "" {
		t.Fatal("second page of all executions has no next_token")
	}

	// After the second page the next_token contains a Step Functions page
	// token past the first provision execution. A fresh store has none, so
	// Step Functions rejects that page token there.
	other := newFixture(t)

	tests := []struct {
		name      string
		f         *fixture
		query     map[string]string
		wantError string
	}{
		{"not base64", f, map[string]string{"next_token": "not a token!"}, "invalid next_token: it is not URL-safe base64"},
		{"not a position", f, map[string]string{"next_token": "bm90IGpzb24"}, "invalid next_token: it is not a list position"},
		// The decoder's message would quote bytes that the caller never
		// wrote, such as '\u0081' from "garbage".
		{"garbage", f, map[string]string{"next_token": "garbage"}, "invalid next_token: it is not a list position; "},
		{"status dropped", f, map[string]string{"next_token": first.NextToken}, `invalid next_token: it is for status "FAILED", not ""`},
		{"other status", f, map[string]string{"next_token": first.NextToken, "status": "SUCCEEDED"},
			`invalid next_token: it is for status "FAILED", not "SUCCEEDED"`},
		{"rejected by step functions", other, map[string]string{"next_token": all.NextToken},
			"invalid next_token: Step Functions rejected it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body listPage
			code := tt.f.get(t, "GET", "/operations/v1/executions", tt.query, &body)
			if code != http.StatusBadRequest {
				t.Errorf("status code = %d, want 400", code)
			}
			if !strings.Contains(body.Error, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", body.Error, tt.wantError)
			}
		})
	}
}

func TestDescribeSucceeded(t *testing.T) {
	f := newFixture(t)
	f.run(t, "DATA-OK")

	var got map[string]any
	if code := f.get(t, "GET", "/operations/v1/executions/DATA-OK", nil, &got); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200 (body %v)", code, got)
	}
	delete(got, "started_at")
	delete(got, "stopped_at")
	want := map[string]any{
		"name":          "DATA-OK",
		"request_id":    "DATA-OK",
		"status":        "SUCCEEDED",
		"current_state": "TargetGroup",
		"current_step":  "target_group",
		"redrive_count": float64(0),
		"resources": map[string]any{
			"proxy_vm":     map[string]any{"action": "created", "id": "i-0a1b2c3d4e5f60718"},
			"target_group": map[string]any{"action": "created", "id": "tg-1"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("execution (-want +got):\n%s", diff)
	}
}

func TestDescribeFailed(t *testing.T) {
	f := newFixture(t)
	f.run(t, "DATA-FAIL")

	var got map[string]any
	if code := f.get(t, "GET", "/operations/v1/executions/DATA-FAIL", nil, &got); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200 (body %v)", code, got)
	}
	delete(got, "started_at")
	delete(got, "stopped_at")
	want := map[string]any{
		"name":          "DATA-FAIL",
		"request_id":    "DATA-FAIL",
		"status":        "FAILED",
		"current_state": "TargetGroup",
		"current_step":  "target_group",
		"redrive_count": float64(0),
		"error":         "States.TaskFailed",
		"cause":         "target_group: subnet subnet-0a1b2c3d4e5f60718 not found",
		"failed_step":   "target_group",
		"resources": map[string]any{
			"proxy_vm": map[string]any{"action": "created", "id": "i-0a1b2c3d4e5f60718"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("execution (-want +got):\n%s", diff)
	}
}

// TestDescribeCauseWithoutStep checks that failed_step falls back to the
// step of the current state when the cause names no step, as repolink up
// does.
func TestDescribeCauseWithoutStep(t *testing.T) {
	f := newFixture(t)
	f.run(t, "DATA-NOSTEP")

	var got map[string]any
	if code := f.get(t, "GET", "/operations/v1/executions/DATA-NOSTEP", nil, &got); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200 (body %v)", code, got)
	}
	if got["cause"] != "subnet subnet-0a1b2c3d4e5f60718 not found" {
		t.Errorf("cause = %v, want the task's error", got["cause"])
	}
	if got["failed_step"] != "target_group" {
		t.Errorf("failed_step = %v, want target_group, the step of the current state", got["failed_step"])
	}
}

func TestDescribeTeardownFailed(t *testing.T) {
	f := newFixture(t)
	f.runMachine(t, "rl-teardown", "DATA-FAIL-teardown", "DATA-FAIL")

	var got map[string]any
	if code := f.get(t, "GET", "/operations/v1/executions/DATA-FAIL-teardown", nil, &got); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200 (body %v)", code, got)
	}
	delete(got, "started_at")
	delete(got, "stopped_at")
	want := map[string]any{
		"name":          "DATA-FAIL-teardown",
		"request_id":    "DATA-FAIL",
		"status":        "FAILED",
		"current_state": "TeardownProxyVM",
		"current_step":  "teardown_proxy_vm",
		"redrive_count": float64(0),
		"error":         "States.TaskFailed",
		"cause":         "instance i-0a1b2c3d4e5f60718 is still attached",
		"failed_step":   "teardown_proxy_vm",
		"resources": map[string]any{
			"teardown_snowflake": map[string]any{"action": "deleted", "id": "PLATFORM.PACKAGES.CORP_PYPI"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("execution (-want +got):\n%s", diff)
	}
}

func TestHistoryTeardown(t *testing.T) {
	f := newFixture(t)
	f.runMachine(t, "rl-teardown", "DATA-OK-teardown", "DATA-OK")

	var body struct {
		Execution string `json:"execution"`
		Events    []struct {
			Type  string `json:"type"`
			State string `json:"state"`
		} `json:"events"`
	}
	if code := f.get(t, "GET", "/operations/v1/executions/DATA-OK-teardown/history", nil, &body); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200", code)
	}
	if body.Execution != "DATA-OK-teardown" {
		t.Errorf("execution = %q, want DATA-OK-teardown", body.Execution)
	}
	if n := len(body.Events); n != 12 {
		t.Errorf("%d events, want 12 for two task states", n)
	}
	if len(body.Events) > 1 && body.Events[1].State != "TeardownSnowflake" {
		t.Errorf("second event state = %q, want TeardownSnowflake", body.Events[1].State)
	}
}

func TestHistory(t *testing.T) {
	f := newFixture(t)
	f.run(t, "DATA-OK")

	var body struct {
		Execution string `json:"execution"`
		Events    []struct {
			ID        int64           `json:"id"`
			Type      string          `json:"type"`
			State     string          `json:"state"`
			Timestamp time.Time       `json:"timestamp"`
			Details   json.RawMessage `json:"details"`
		} `json:"events"`
		Truncated bool `json:"truncated"`
	}
	if code := f.get(t, "GET", "/operations/v1/executions/DATA-OK/history", nil, &body); code != http.StatusOK {
		t.Fatalf("status code = %d, want 200", code)
	}
	if body.Execution != "DATA-OK" {
		t.Errorf("execution = %q, want DATA-OK", body.Execution)
	}
	if body.Truncated {
		t.Errorf("truncated = true for a short history")
	}

	type row struct{ Type, State string }
	var got []row
	for _, ev := range body.Events {
		got = append(got, row{ev.Type, ev.State})
		if ev.Timestamp.IsZero() {
			t.Errorf("event %d has no timestamp", ev.ID)
		}
	}
	want := []row{
		{"ExecutionStarted", ""},
		{"TaskStateEntered", "ProxyVM"},
		{"TaskScheduled", "ProxyVM"},
		{"TaskStarted", "ProxyVM"},
		{"TaskSucceeded", "ProxyVM"},
		{"TaskStateExited", "ProxyVM"},
		{"TaskStateEntered", "TargetGroup"},
		{"TaskScheduled", "TargetGroup"},
		{"TaskStarted", "TargetGroup"},
		{"TaskSucceeded", "TargetGroup"},
		{"TaskStateExited", "TargetGroup"},
		{"ExecutionSucceeded", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(body.Events) > 0 && !strings.Contains(string(body.Events[0].Details), `"input":{"request":{"id":"DATA-OK"}}`) {
		t.Errorf("ExecutionStarted details = %s, want the input as a JSON value", body.Events[0].Details)
	}
}

func TestRequestErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name      string
		method    string
		path      string
		query     map[string]string
		wantCode  int
		wantError string
	}{
		{"unknown execution", "GET", "/operations/v1/executions/never-started", nil, http.StatusNotFound, "no execution named never-started"},
		{"unknown execution history", "GET", "/operations/v1/executions/never-started/history", nil, http.StatusNotFound, "no execution named never-started"},
		{"invalid name", "GET", "/operations/v1/executions/a:b", nil, http.StatusBadRequest, `invalid execution name "a:b"`},
		{"name with carriage return", "GET", "/operations/v1/executions/a\rb", nil, http.StatusBadRequest, `invalid execution name "a\rb"`},
		{"name with DEL", "GET", "/operations/v1/executions/a\x7fb", nil, http.StatusBadRequest, `invalid execution name "a\x7fb"`},
		{"name with no-break space", "GET", "/operations/v1/executions/a\u00a0b", nil, http.StatusBadRequest, `invalid execution name "a\u00a0b"`},
		{"name with U+FFFF", "GET", "/operations/v1/executions/a\uffffb", nil, http.StatusBadRequest, `invalid execution name "a\uffffb"`},
		{"name not UTF-8", "GET", "/operations/v1/executions/a\xffb", nil, http.StatusBadRequest, `invalid execution name "a\xffb"`},
		{"name of 81 characters", "GET", "/operations/v1/executions/" + strings.Repeat("é", 81), nil, http.StatusBadRequest, "invalid execution name"},
		{"name of 80 characters", "GET", "/operations/v1/executions/" + strings.Repeat("é", 80), nil, http.StatusNotFound, "no execution named " + strings.Repeat("é", 80)},
		{"invalid status", "GET", "/operations/v1/executions", map[string]string{"status": "DONE"}, http.StatusBadRequest, `invalid status "DONE"`},
		{"invalid max results", "GET", "/operations/v1/executions", map[string]string{"max_results": "5000"}, http.StatusBadRequest, `invalid max_results "5000"`},
		{"write method", "POST", "/operations/v1/executions/DATA-OK", nil, http.StatusMethodNotAllowed, "method POST is not allowed"},
		{"unknown route", "GET", "/operations/v2/things", nil, http.StatusNotFound, `no route "/operations/v2/things"; use /operations/v1/executions,`},
		{"unknown subresource", "GET", "/operations/v1/executions/DATA-OK/output", nil, http.StatusNotFound,
			`no route "/operations/v1/executions/DATA-OK/output"; use /operations/v1/executions/{name}/history`},
		// The stack routes ANY /operations to the function too.
		{"route root", "GET", "/operations", nil, http.StatusNotFound, `no route "/operations"; use /operations/v1/executions,`},
		{"route root with slash", "GET", "/operations/", nil, http.StatusNotFound, `no route "/operations/"; use /operations/v1/executions,`},
		{"other prefix", "GET", "/operationsv1/executions", nil, http.StatusNotFound, `no route "/operationsv1/executions"; use /v1/executions,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body struct {
				Error string `json:"error"`
			}
			code := f.get(t, tt.method, tt.path, tt.query, &body)
			if code != tt.wantCode {
				t.Errorf("status code = %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(body.Error, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", body.Error, tt.wantError)
			}
		})
	}
}

// failingExecutions fails every call, as Step Functions does when the role
// lacks a permission.
type failingExecutions struct{}

var errDenied = errors.New("AccessDeniedException: not authorized")

func (failingExecutions) ListExecutions(context.Context, string, sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	return nil, "", errDenied
}

func (failingExecutions) DescribeExecution(context.Context, string) (sfn.Execution, error) {
	return sfn.Execution{}, errDenied
}

func (failingExecutions) GetExecutionHistory(context.Context, string, sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	return nil, "", errDenied
}

func TestStepFunctionsFailure(t *testing.T) {
	api := &operations.API{
		Executions:      failingExecutions{},
		StateMachineARN: "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
	}
	for _, path := range []string{"/operations/v1/executions", "/operations/v1/executions/DATA-1", "/operations/v1/executions/DATA-1/history"} {
		resp, err := api.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
			RawPath:        path,
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}},
		})
		if err != nil {
			t.Fatalf("Handle %s: %v", path, err)
		}
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: status code = %d, want 500", path, resp.StatusCode)
		}
		if strings.Contains(resp.Body, "AccessDenied") {
			t.Errorf("%s: body %s shows the Step Functions error, want it only in the log", path, resp.Body)
		}
	}
}

// teardownFailingExecutions fails every call on the teardown machine, as
// Step Functions does when the role may read only the provision machine.
// The provision machine has no executions.
type teardownFailingExecutions struct{}

func (teardownFailingExecutions) ListExecutions(_ context.Context, machineARN string, _ sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	if strings.HasSuffix(machineARN, ":rl-teardown") {
		return nil, "", errDenied
	}
	return nil, "", nil
}

func (teardownFailingExecutions) DescribeExecution(_ context.Context, arn string) (sfn.Execution, error) {
	if strings.Contains(arn, ":rl-teardown:") {
		return sfn.Execution{}, errDenied
	}
	return sfn.Execution{}, sfn.ErrExecutionNotFound
}

func (teardownFailingExecutions) GetExecutionHistory(_ context.Context, arn string, _ sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	if strings.Contains(arn, ":rl-teardown:") {
		return nil, "", errDenied
	}
	return nil, "", sfn.ErrExecutionNotFound
}

func TestFailureLogsFailingMachine(t *testing.T) {
	const (
		provisionARN = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision"
		teardownARN  = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown"
	)
	tests := []struct{ name, path string }{
		{"list", "/operations/v1/executions"},
		{"describe", "/operations/v1/executions/DATA-1-teardown"},
		{"history", "/operations/v1/executions/DATA-1-teardown/history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			api := &operations.API{
				Executions:              teardownFailingExecutions{},
				StateMachineARN:         provisionARN,
				TeardownStateMachineARN: teardownARN,
				Logger:                  slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			resp, err := api.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
				RawPath:        tt.path,
				RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}},
			})
			if err != nil {
				t.Fatalf("Handle %s: %v", tt.path, err)
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("status code = %d, want 500", resp.StatusCode)
			}
			var record struct {
				Level        string `json:"level"`
				StateMachine string `json:"state_machine"`
				Error        string `json:"error"`
			}
			if err := json.Unmarshal(logs.Bytes(), &record); err != nil {
				t.Fatalf("log %q is not one JSON record: %v", logs.String(), err)
			}
			if record.Level != "ERROR" {
				t.Errorf("level = %q, want ERROR", record.Level)
			}
			if record.StateMachine != teardownARN {
				t.Errorf("state_machine = %q, want the teardown machine %s", record.StateMachine, teardownARN)
			}
			if !strings.Contains(record.Error, "AccessDenied") {
				t.Errorf("error = %q, want the Step Functions error", record.Error)
			}
		})
	}
}

// namedExecutions is a Step Functions fake that keeps executions by ARN,
// because Step Functions keeps execution names apart per state machine
// and the engine behind the local front end does not.
type namedExecutions struct {
	executions map[string]sfn.Execution
	histories  []string // the ARNs of GetExecutionHistory calls, in order
}

func (n *namedExecutions) ListExecutions(context.Context, string, sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	return nil, "", nil
}

func (n *namedExecutions) DescribeExecution(_ context.Context, arn string) (sfn.Execution, error) {
	x, ok := n.executions[arn]
	if !ok {
		return sfn.Execution{}, sfn.ErrExecutionNotFound
	}
	return x, nil
}

func (n *namedExecutions) GetExecutionHistory(_ context.Context, arn string, _ sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	n.histories = append(n.histories, arn)
	if _, ok := n.executions[arn]; !ok {
		return nil, "", sfn.ErrExecutionNotFound
	}
	return []sfn.HistoryEvent{{ID: 1, Type: "ExecutionStarted", Timestamp: time.Unix(1700000000, 0)}}, "", nil
}

func TestDescribeTeardownNameOrder(t *testing.T) {
	const (
		provisionARN = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision"
		teardownARN  = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown"
	)
	execution := func(machineARN, name, id string) (string, sfn.Execution) {
		arn := strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
		return arn, sfn.Execution{ARN: arn, Name: name, Status: "SUCCEEDED", StartDate: time.Unix(1700000000, 0),
			Input: json.RawMessage(`{"request":{"id":"` + id + `"}}`)}
	}
	fake := &namedExecutions{executions: map[string]sfn.Execution{}}
	for _, x := range []struct{ machine, name, id string }{
		// A provision run of request A-teardown, started before request
		// validation rejected such IDs, shares its name with A's teardown.
		{provisionARN, "A-teardown", "A-teardown"},
		{teardownARN, "A-teardown", "A"},
		{provisionARN, "A-teardown-r2", "A-teardown-r2"},
		{teardownARN, "A-teardown-r2", "A"},
		{provisionARN, "A", "A"},
		{provisionARN, "B-teardown", "B-teardown"},
	} {
		arn, described := execution(x.machine, x.name, x.id)
		fake.executions[arn] = described
	}
	f := &fixture{api: &operations.API{Executions: fake, StateMachineARN: provisionARN, TeardownStateMachineARN: teardownARN}}

	tests := []struct {
		name, wantRequestID string
	}{
		{"A-teardown", "A"},
		{"A-teardown-r2", "A"},
		{"A", "A"},
		{"B-teardown", "B-teardown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]any
			if code := f.get(t, "GET", "/operations/v1/executions/"+tt.name, nil, &got); code != http.StatusOK {
				t.Fatalf("status code = %d, want 200 (body %v)", code, got)
			}
			if got["request_id"] != tt.wantRequestID {
				t.Errorf("request_id = %v, want %s", got["request_id"], tt.wantRequestID)
			}
		})
	}

	fake.histories = nil
	var history map[string]any
	if code := f.get(t, "GET", "/operations/v1/executions/A-teardown/history", nil, &history); code != http.StatusOK {
		t.Fatalf("history status code = %d, want 200 (body %v)", code, history)
	}
	wantARN, _ := execution(teardownARN, "A-teardown", "A")
	if diff := cmp.Diff([]string{wantARN}, fake.histories); diff != "" {
		t.Errorf("GetExecutionHistory calls for the history of A-teardown (-want +got):\n%s", diff)
	}
}

// longHistory serves a provision execution whose history has n events,
// paged as Step Functions pages it, in either order.
type longHistory struct{ n int }

func (longHistory) ListExecutions(context.Context, string, sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	return nil, "", nil
}

func (longHistory) DescribeExecution(context.Context, string) (sfn.Execution, error) {
	return sfn.Execution{}, sfn.ErrExecutionNotFound
}

func (h longHistory) GetExecutionHistory(_ context.Context, arn string, opts sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	if strings.Contains(arn, ":rl-teardown:") {
		return nil, "", sfn.ErrExecutionNotFound
	}
	offset := 0
	if opts.NextToken != "" {
		offset, _ = strconv.Atoi(opts.NextToken)
	}
	var page []sfn.HistoryEvent
	for i := offset; i < h.n && len(page) < opts.MaxResults; i++ {
		id := int64(i + 1)
		if opts.ReverseOrder {
			id = int64(h.n - i)
		}
		page = append(page, sfn.HistoryEvent{ID: id, Type: "PassStateEntered", Timestamp: time.Unix(id, 0)})
	}
	next := ""
	if end := offset + len(page); end < h.n {
		next = strconv.Itoa(end)
	}
	return page, next, nil
}

func TestHistoryKeepsNewestEvents(t *testing.T) {
	tests := []struct {
		events        int
		wantCount     int
		wantLastID    int64
		wantTruncated bool
	}{
		{events: 1500, wantCount: 1500, wantLastID: 1500},
		{events: 2000, wantCount: 2000, wantLastID: 2000},
		{events: 5000, wantCount: 2000, wantLastID: 5000, wantTruncated: true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.events), func(t *testing.T) {
			api := &operations.API{
				Executions:      longHistory{n: tt.events},
				StateMachineARN: "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
			}
			resp, err := api.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
				RawPath:        "/operations/v1/executions/DATA-LONG/history",
				RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Events []struct {
					ID int64 `json:"id"`
				} `json:"events"`
				Truncated bool `json:"truncated"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("decode %s: %v", resp.Body, err)
			}
			if len(body.Events) != tt.wantCount {
				t.Fatalf("events = %d, want %d", len(body.Events), tt.wantCount)
			}
			if first := body.Events[0].ID; first != 1 {
				t.Errorf("first event ID = %d, want 1", first)
			}
			if last := body.Events[len(body.Events)-1].ID; last != tt.wantLastID {
				t.Errorf("last event ID = %d, want %d", last, tt.wantLastID)
			}
			for i := 1; i < len(body.Events); i++ {
				if body.Events[i].ID <= body.Events[i-1].ID {
					t.Fatalf("event %d has ID %d after %d, want increasing IDs", i, body.Events[i].ID, body.Events[i-1].ID)
				}
			}
			if body.Truncated != tt.wantTruncated {
				t.Errorf("truncated = %v, want %v", body.Truncated, tt.wantTruncated)
			}
		})
	}
}

func TestInvalidMachineARN(t *testing.T) {
	// The ARN lacks the ":stateMachine:" part, so no execution ARN can be
	// built from it, and the API must not call Step Functions with a guess.
	const machineARN = "arn:aws:states:us-west-2:123456789012:rl-provision"
	executions := &namedExecutions{executions: map[string]sfn.Execution{}}
	api := &operations.API{Executions: executions, StateMachineARN: machineARN}
	for _, path := range []string{"/operations/v1/executions/DATA-1", "/operations/v1/executions/DATA-1/history"} {
		resp, err := api.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
			RawPath:        path,
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}},
		})
		if err != nil {
			t.Fatalf("Handle %s: %v", path, err)
		}
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: status code = %d, want 500", path, resp.StatusCode)
		}
	}
	if len(executions.histories) != 0 {
		t.Errorf("GetExecutionHistory calls = %v, want none", executions.histories)
	}
}
