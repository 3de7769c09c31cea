package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// The bootstrap binary, built once by the first test that runs it.
var (
	buildOnce     sync.Once
	bootstrapPath string
	buildErr      error
	buildDir      string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// bootstrap returns the path of the bootstrap binary, built for this
// machine with the Lambda build tags. It skips the test in short mode,
// because the build links the whole binary.
func bootstrap(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the bootstrap build in short mode")
	}
	goTool := goCommand(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "repolink-bootstrap-")
		if buildErr != nil {
			return
		}
		bootstrapPath = filepath.Join(buildDir, "bootstrap")
		build := exec.Command(goTool, "build", "-tags", buildTags, "-o", bootstrapPath, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build bootstrap: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bootstrapPath
}

// invocation is what the bootstrap reported for one event.
type invocation struct {
	// Kind is "response" or "error".
	Kind string
	Body []byte
}

// runtimeAPI is a local Lambda Runtime API that hands out one event and
// records the bootstrap's report. Later polls for an event block until the
// bootstrap exits.
type runtimeAPI struct {
	server *httptest.Server
	event  []byte

	mu      sync.Mutex
	handed  bool
	reports chan invocation
	done    chan struct{}
}

const requestID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"

func newRuntimeAPI(t *testing.T, event []byte) *runtimeAPI {
	t.Helper()
	api := &runtimeAPI{event: event, reports: make(chan invocation, 4), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", api.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", api.report("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", api.report("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", api.report("init error"))
	// lambda.WithEnableSIGTERM registers an extension that subscribes to
	// no events, so its poll for the next event never returns.
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "ext-1")
		w.Write([]byte(`{}`))
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", api.block)
	api.server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(api.done)
		api.server.Close()
	})
	return api
}

func (api *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	api.mu.Lock()
	first := !api.handed
	api.handed = true
	api.mu.Unlock()
	if !first {
		api.block(w, r)
		return
	}
	deadline := time.Now().Add(time.Minute).UnixMilli()
	w.Header().Set("Lambda-Runtime-Aws-Request-Id", requestID)
	w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline, 10))
	w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-west-2:123456789012:function:rl-test")
	w.Header().Set("Content-Type", "application/json")
	w.Write(api.event)
}

// block holds a request until the bootstrap exits or the test ends.
func (api *runtimeAPI) block(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-api.done:
	}
}

func (api *runtimeAPI) report(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if id := r.PathValue("id"); id != "" && id != requestID {
			kind = "report for unknown request " + id
		}
		api.reports <- invocation{Kind: kind, Body: body}
		w.WriteHeader(http.StatusAccepted)
	}
}

// fakeAWS returns canned responses to the EC2, DynamoDB and Step Functions
// calls that the tested handlers make, and records the operation names.
type fakeAWS struct {
	server *httptest.Server
	mu     sync.Mutex
	calls  []string
}

func newFakeAWS(t *testing.T) *fakeAWS {
	t.Helper()
	f := &fakeAWS{}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	operation := r.Header.Get("X-Amz-Target")
	if operation == "" {
		form, _ := url.ParseQuery(string(body))
		operation = "ec2." + form.Get("Action")
	}
	f.mu.Lock()
	f.calls = append(f.calls, operation)
	f.mu.Unlock()

	switch operation {
	case "ec2.DescribeVpcEndpointConnections":
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcEndpointConnectionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>4ba7ef3e-0000-0000-0000-000000000000</requestId>
  <vpcEndpointConnectionSet/>
</DescribeVpcEndpointConnectionsResponse>`)
	case "DynamoDB_20120810.PutItem":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{}`)
	case "DynamoDB_20120810.Query":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{"Count":0,"Items":[],"ScannedCount":0}`)
	case "AWSStepFunctions.ListExecutions":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{"executions":[{"executionArn":"arn:aws:states:us-west-2:123456789012:execution:rl-provision:DATA-4711",
			"name":"DATA-4711","stateMachineArn":"arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
			"status":"RUNNING","startDate":1740830400}]}`)
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnknownOperationException","message":"unexpected `+operation+`"}`)
	}
}

func (f *fakeAWS) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// runBootstrap runs the bootstrap with handler against a local Runtime API that
// delivers event, and returns what the bootstrap reported.
func runBootstrap(t *testing.T, handler string, event []byte, aws *fakeAWS, extraEnv ...string) invocation {
	t.Helper()
	path := bootstrap(t)
	api := newRuntimeAPI(t, event)
	cmd := exec.Command(path)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TMPDIR=" + t.TempDir(),
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.server.URL, "http://"),
		"REPOLINK_HANDLER=" + handler,
		"AWS_REGION=us-west-2",
		"AWS_ACCESS_KEY_ID=AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY=local-secret",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_ENDPOINT_URL=" + aws.server.URL,
		"AWS_MAX_ATTEMPTS=1",
		"SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true",
	}, extraEnv...)
	var logs strings.Builder
	cmd.Stdout = &logs
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bootstrap: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("bootstrap output:\n%s", logs.String())
		}
	})

	select {
	case got := <-api.reports:
		return got
	case <-time.After(30 * time.Second):
		t.Fatalf("bootstrap reported nothing within 30s")
	}
	return invocation{}
}

// errorReport is the body of a Runtime API error report.
type errorReport struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func decodeError(t *testing.T, got invocation) errorReport {
	t.Helper()
	if got.Kind != "error" {
		t.Fatalf("bootstrap reported %s %s, want an error", got.Kind, got.Body)
	}
	var report errorReport
	if err := json.Unmarshal(got.Body, &report); err != nil {
		t.Fatalf("error report %s is not JSON: %v", got.Body, err)
	}
	return report
}

// exampleDocument returns the task input of a step after the endpoint
// step, for the example request.
func exampleDocument(t *testing.T) workflow.Document {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse example request: %v", err)
	}
	return workflow.Document{
		Request: req,
		Resources: workflow.Resources{
			EndpointService: &workflow.EndpointService{
				Result:      workflow.Result{Action: workflow.Created, ID: "vpce-svc-0a1b2c3d4e5f60718"},
				ServiceName: "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60718",
				Principal:   "arn:aws:iam::123456789012:user/snowflake",
			},
			Endpoint: &workflow.Endpoint{
				Result: workflow.Result{Action: workflow.Created, ID: "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60718"},
				Host:   "pypi.corp.example.com",
				Status: "pendingAcceptance",
			},
		},
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBootstrapStepErrorTypes(t *testing.T) {
	tests := []struct {
		name        string
		handler     string
		event       func(t *testing.T) []byte
		wantType    string
		wantMessage string
		wantCalls   []string
	}{
		{
			// acceptconnection returns workflow.NotReady while no
			// connection request is visible on the endpoint service.
			name:        "step not ready",
			handler:     "connection",
			event:       func(t *testing.T) []byte { return marshal(t, exampleDocument(t)) },
			wantType:    workflow.ErrNotReady,
			wantMessage: "no connection request from Snowflake",
			wantCalls:   []string{"ec2.DescribeVpcEndpointConnections"},
		},
		{
			name:        "invalid task input",
			handler:     "connection",
			event:       func(*testing.T) []byte { return []byte(`{"request":{"id":"DATA-1"}}`) },
			wantType:    workflow.ErrInvalidRequest,
			wantMessage: "invalid request",
		},
		{
			name:        "unknown handler",
			handler:     "no_such_step",
			event:       func(*testing.T) []byte { return []byte(`{}`) },
			wantType:    errorTypeConfiguration,
			wantMessage: `REPOLINK_HANDLER="no_such_step" names no step`,
		},
		{
			name:        "missing table",
			handler:     "await_endpoint",
			event:       func(t *testing.T) []byte { return marshal(t, exampleDocument(t)) },
			wantType:    errorTypeConfiguration,
			wantMessage: "REPOLINK_DYNAMODB_TABLE is not set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aws := newFakeAWS(t)
			got := runBootstrap(t, tt.handler, tt.event(t), aws)

			report := decodeError(t, got)
			if report.Type != tt.wantType {
				t.Errorf("errorType = %q, want %q (message %q)", report.Type, tt.wantType, report.Message)
			}
			if !strings.Contains(report.Message, tt.wantMessage) {
				t.Errorf("errorMessage = %q, want it to contain %q", report.Message, tt.wantMessage)
			}
			if diff := cmp.Diff(tt.wantCalls, aws.recorded()); diff != "" {
				t.Errorf("AWS calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBootstrapStepOutput(t *testing.T) {
	aws := newFakeAWS(t)
	doc := exampleDocument(t)
	doc.Execution = "DATA-4711"
	doc.Token = "AQCEAAAAKgAAAAMAAAAAAAAAAQ=="

	got := runBootstrap(t, "await_endpoint", marshal(t, doc), aws, "REPOLINK_DYNAMODB_TABLE=rl-waits", "REPOLINK_WAIT_DEADLINE=36h")
	if got.Kind != "response" {
		t.Fatalf("bootstrap reported %s %s, want a response", got.Kind, got.Body)
	}
	if string(got.Body) != `{}` {
		t.Errorf("output = %s, want {}", got.Body)
	}
	if diff := cmp.Diff([]string{"DynamoDB_20120810.PutItem"}, aws.recorded()); diff != "" {
		t.Errorf("AWS calls (-want +got):\n%s", diff)
	}
}

func TestBootstrapPoller(t *testing.T) {
	aws := newFakeAWS(t)
	// EventBridge Scheduler sends the target's configured input.
	event := []byte(`{"source":"repolink.poller"}`)

	got := runBootstrap(t, "poller", event, aws, "REPOLINK_DYNAMODB_TABLE=rl-waits")
	if got.Kind != "response" {
		t.Fatalf("bootstrap reported %s %s, want a response", got.Kind, got.Body)
	}
	var report poller.Report
	if err := json.Unmarshal(got.Body, &report); err != nil {
		t.Fatalf("output %s is not a poll report: %v", got.Body, err)
	}
	if diff := cmp.Diff(poller.Report{}, report); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	// One Query lists the waits and one the credential expiries.
	if diff := cmp.Diff([]string{"DynamoDB_20120810.Query", "DynamoDB_20120810.Query"}, aws.recorded()); diff != "" {
		t.Errorf("AWS calls (-want +got):\n%s", diff)
	}
}

func TestBootstrapWebhookRejectsUnsigned(t *testing.T) {
	aws := newFakeAWS(t)
	event := marshal(t, events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "POST /webhook",
		RawPath:  "/webhook",
		Headers:  map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/webhook"},
		},
		Body: `{"id":"DATA-4711"}`,
	})

	got := runBootstrap(t, "webhook", event, aws,
		"REPOLINK_DYNAMODB_TABLE=rl-waits",
		"REPOLINK_STATE_MACHINE_ARN=arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
		"REPOLINK_WEBHOOK_SECRET_ARN=arn:aws:secretsmanager:us-west-2:123456789012:secret:hook-Ab12Cd")
	if got.Kind != "response" {
		t.Fatalf("bootstrap reported %s %s, want a response", got.Kind, got.Body)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(got.Body, &resp); err != nil {
		t.Fatalf("output %s is not an HTTP API response: %v", got.Body, err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("statusCode = %d, want 401 (body %s)", resp.StatusCode, resp.Body)
	}
	// An unsigned delivery is rejected before the secret is read.
	if calls := aws.recorded(); len(calls) != 0 {
		t.Errorf("AWS calls %v for an unsigned delivery, want none", calls)
	}
}

func TestBootstrapOperationsList(t *testing.T) {
	aws := newFakeAWS(t)
	event := marshal(t, events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "ANY /operations/{proxy+}",
		RawPath:  "/operations/v1/executions",
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/operations/v1/executions"},
		},
	})

	// The stack sets the provision machine under this name on the
	// operations function.
	got := runBootstrap(t, "operations", event, aws,
		"REPOLINK_STATE_MACHINE_ARN_PROVISION=arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision")
	if got.Kind != "response" {
		t.Fatalf("bootstrap reported %s %s, want a response", got.Kind, got.Body)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(got.Body, &resp); err != nil {
		t.Fatalf("output %s is not an HTTP API response: %v", got.Body, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("statusCode = %d, want 200 (body %s)", resp.StatusCode, resp.Body)
	}
	want := `{"executions":[{"name":"DATA-4711","status":"RUNNING","started_at":"2025-03-01T12:00:00.000Z","redrive_count":0}]}`
	if resp.Body != want {
		t.Errorf("body = %s, want %s", resp.Body, want)
	}
	if diff := cmp.Diff([]string{"AWSStepFunctions.ListExecutions"}, aws.recorded()); diff != "" {
		t.Errorf("AWS calls (-want +got):\n%s", diff)
	}
}
