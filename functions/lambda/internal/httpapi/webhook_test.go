package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

const machineARN = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision"

var (
	secret = []byte("webhook-test-key")
	now    = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

func readExample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatalf("read example request: %v", err)
	}
	return data
}

// signedDeliveries counts the events that signedEvent signs.
var signedDeliveries atomic.Int64

// restartSigning makes the next signedEvent sign at its earliest offset
// again. Each helper that creates a table calls it. Otherwise the count
// wraps in the middle of a later test when go test -count runs the tests
// again, and that test's next delivery is signed before its last one.
func restartSigning() {
	signedDeliveries.Store(0)
}

// signedEvent returns an API Gateway HTTP API event for a POST of body,
// signed with key as a new delivery. It signs at ts plus an offset that
// grows by one second with each call, from -290 s. The offset starts again
// after 580 calls, which keeps it within webhook.MaxAge, and after
// restartSigning. The webhook treats a repeat of the same timestamp and
// body as a replay, and rejects a new delivery signed before the ticket's
// latest accepted one, so each call signs later than the one before. Send
// one event twice to replay it.
func signedEvent(body []byte, key []byte, ts time.Time) events.APIGatewayV2HTTPRequest {
	ts = ts.Add(time.Duration(signedDeliveries.Add(1)%580-290) * time.Second)
	header := http.Header{}
	webhook.SetSignature(header, key, ts, body)
	return events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "POST /webhook",
		RawPath:  "/webhook",
		// API Gateway passes header names in lower case.
		Headers: map[string]string{
			"content-type":         "application/json",
			"x-repolink-timestamp": header.Get(webhook.HeaderTimestamp),
			"x-repolink-signature": header.Get(webhook.HeaderSignature),
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/webhook"},
		},
		Body: string(body),
	}
}

// stepFunctions is an httptest Step Functions endpoint that starts each
// execution name once, like a Standard workflow: a second start with the
// same name and input returns the same execution while it runs, and a
// closed execution or another input fails with ExecutionAlreadyExists.
// DescribeExecution returns an execution's input and status.
type stepFunctions struct {
	*httptest.Server
	mu     sync.Mutex
	inputs map[string]string
	closed map[string]bool
	// aborted marks closed executions that describe reports as ABORTED
	// instead of SUCCEEDED.
	aborted map[string]bool
	starts  int
	fail    bool
}

func newStepFunctions(t *testing.T) (*stepFunctions, *sfn.Client) {
	t.Helper()
	s := &stepFunctions{inputs: map[string]string{}, closed: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	api := sfnsdk.New(sfnsdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	})
	return s, sfn.New(api)
}

func (s *stepFunctions) serve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		ExecutionArn    string `json:"executionArn"`
		Name            string `json:"name"`
		Input           string `json:"input"`
	}
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"__type":"InternalFailure","message":"service unavailable"}`)
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "AWSStepFunctions.StartExecution":
		if in.StateMachineArn != machineARN {
			break
		}
		s.start(w, in.Name, in.Input)
		return
	case "AWSStepFunctions.DescribeExecution":
		prefix := strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":"
		name, ok := strings.CutPrefix(in.ExecutionArn, prefix)
		if !ok {
			break
		}
		s.describe(w, name)
		return
	}
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"__type":"ValidationException","message":"unexpected request"}`)
}

func (s *stepFunctions) start(w http.ResponseWriter, name, input string) {
	if previous, ok := s.inputs[name]; ok && (previous != input || s.closed[name]) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ExecutionAlreadyExists","message":"Execution Already Exists"}`)
		return
	}
	if _, ok := s.inputs[name]; !ok {
		s.starts++
	}
	s.inputs[name] = input
	io.WriteString(w, `{"executionArn":"arn:aws:states:us-west-2:123456789012:execution:rl-provision:`+name+`","startDate":1740830400}`)
}

func (s *stepFunctions) describe(w http.ResponseWriter, name string) {
	input, ok := s.inputs[name]
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ExecutionDoesNotExist","message":"Execution Does Not Exist"}`)
		return
	}
	status := "RUNNING"
	if s.closed[name] {
		status = "SUCCEEDED"
	}
	if s.aborted[name] {
		status = "ABORTED"
	}
	out, _ := json.Marshal(map[string]any{
		"executionArn":    "arn:aws:states:us-west-2:123456789012:execution:rl-provision:" + name,
		"stateMachineArn": machineARN,
		"name":            name,
		"status":          status,
		"startDate":       1740830400,
		"input":           input,
	})
	w.Write(out)
}

// abort marks an execution as closed with the status ABORTED.
func (s *stepFunctions) abort(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed[name] = true
	if s.aborted == nil {
		s.aborted = map[string]bool{}
	}
	s.aborted[name] = true
}

// close marks an execution as closed.
func (s *stepFunctions) close(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed[name] = true
}

// forget removes an execution, as Step Functions does once a closed
// execution leaves the execution history.
func (s *stepFunctions) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inputs, name)
	delete(s.closed, name)
}

func (s *stepFunctions) startCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// newWebhook returns a webhook on dynalite and a test Step Functions.
func newWebhook(t *testing.T) (*httpapi.Webhook, *stepFunctions) {
	t.Helper()
	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
	store := dynamo.New(server.Client(), "repolink-test")
	restartSigning()
	store.Now = func() time.Time { return now }
	states, client := newStepFunctions(t)
	return &httpapi.Webhook{
		Secret:          func(context.Context) ([]byte, error) { return secret, nil },
		Deliveries:      store,
		Executions:      client,
		StateMachineARN: machineARN,
		Claims:          store,
		Now:             func() time.Time { return now },
	}, states
}

func decodeResponse(t *testing.T, resp events.APIGatewayV2HTTPResponse) webhook.Response {
	t.Helper()
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	var body webhook.Response
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("response body %q is not JSON: %v", resp.Body, err)
	}
	return body
}

func TestWebhookDeliveries(t *testing.T) {
	hook, states := newWebhook(t)
	ctx := context.Background()
	body := readExample(t)
	edited := []byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1))

	steps := []struct {
		name       string
		body       []byte
		wantStatus int
		want       webhook.Response
		wantStarts int
	}{
		{"first delivery", body, http.StatusAccepted, webhook.Response{Execution: "DATA-4711", Status: "RUNNING"}, 1},
		{"redelivery", body, http.StatusOK, webhook.Response{Execution: "DATA-4711", Duplicate: true}, 1},
		{"edited ticket", edited, http.StatusConflict, webhook.Response{Status: webhook.StatusRejected, BlockingExecution: "DATA-4711",
			Error: "execution DATA-4711 of request DATA-4711 is still running with a different request; " +
				"a changed request starts a new execution of the ticket only when its earlier ones have closed, " +
				"so send it again after DATA-4711 closes, or after stopping it"}, 1},
	}
	for _, step := range steps {
		resp, err := hook.Handle(ctx, signedEvent(step.body, secret, now))
		if err != nil {
			t.Fatalf("%s: Handle: %v", step.name, err)
		}
		if resp.StatusCode != step.wantStatus {
			t.Errorf("%s: status %d, want %d (body %s)", step.name, resp.StatusCode, step.wantStatus, resp.Body)
		}
		if diff := cmp.Diff(step.want, decodeResponse(t, resp)); diff != "" {
			t.Errorf("%s: body (-want +got):\n%s", step.name, diff)
		}
		if got := states.startCount(); got != step.wantStarts {
			t.Errorf("%s: %d executions started, want %d", step.name, got, step.wantStarts)
		}
	}

	// The execution input is the document the first step expects.
	var doc workflow.Document
	if err := json.Unmarshal([]byte(states.inputs["DATA-4711"]), &doc); err != nil {
		t.Fatalf("execution input is not a document: %v", err)
	}
	if doc.Request.ID != "DATA-4711" || doc.Request.AWS == nil || doc.Request.AWS.Region != "us-west-2" {
		t.Errorf("execution input request = %+v, want the delivered request", doc.Request)
	}
}

func TestWebhookRetriesFailedStart(t *testing.T) {
	hook, states := newWebhook(t)
	ctx := context.Background()
	body := readExample(t)

	states.fail = true
	resp, err := hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	// Ticket systems redeliver on 5xx.
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status with Step Functions down = %d, want 500", resp.StatusCode)
	}

	states.fail = false
	resp, err = hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle of the redelivery: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status of the redelivery = %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if got := states.startCount(); got != 1 {
		t.Errorf("%d executions started, want 1", got)
	}
}

func TestWebhookChangedAfterClose(t *testing.T) {
	hook, states := newWebhook(t)
	ctx := context.Background()
	body := readExample(t)
	edited := []byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1))
	if resp, err := hook.Handle(ctx, signedEvent(body, secret, now)); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first delivery = %d, %v; want 202", resp.StatusCode, err)
	}
	states.close("DATA-4711")

	resp, err := hook.Handle(ctx, signedEvent(edited, secret, now))
	if err != nil {
		t.Fatalf("Handle of the changed request: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("changed request status = %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, decodeResponse(t, resp)); diff != "" {
		t.Errorf("changed request body (-want +got):\n%s", diff)
	}
	var doc workflow.Document
	if err := json.Unmarshal([]byte(states.inputs["DATA-4711-r2"]), &doc); err != nil {
		t.Fatalf("input of DATA-4711-r2 is not a document: %v", err)
	}
	if got := doc.Request.Repository.Packages; len(got) == 0 || got[0] != "numpy" {
		t.Errorf("packages of DATA-4711-r2 = %v, want the changed request's", got)
	}

	// The first request again, once DATA-4711-r2 has closed, goes back to
	// it in the next run.
	states.close("DATA-4711-r2")
	resp, err = hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle of the earlier request: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("earlier request status = %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r3", Status: "RUNNING"}, decodeResponse(t, resp)); diff != "" {
		t.Errorf("earlier request body (-want +got):\n%s", diff)
	}

	// That request again is a duplicate of the latest run.
	resp, err = hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle of the repeated request: %v", err)
	}
	got := decodeResponse(t, resp)
	if resp.StatusCode != http.StatusOK || !got.Duplicate || got.Execution != "DATA-4711-r3" {
		t.Errorf("repeated request = %d %+v, want 200 duplicate of DATA-4711-r3", resp.StatusCode, got)
	}
	if n := states.startCount(); n != 3 {
		t.Errorf("%d executions started, want 3", n)
	}
}

// deliverChanges delivers the example request and then one changed request
// per package in packages, closing each execution before the next delivery
// unless it is the last one.
func deliverChanges(t *testing.T, hook *httpapi.Webhook, states *stepFunctions, packages ...string) {
	t.Helper()
	body := readExample(t)
	names := []string{"DATA-4711", "DATA-4711-r2", "DATA-4711-r3"}
	for i, pkg := range append([]string{""}, packages...) {
		delivered := body
		if pkg != "" {
			delivered = []byte(strings.Replace(string(body), `"requests"`, `"`+pkg+`"`, 1))
		}
		if i > 0 {
			states.close(names[i-1])
		}
		resp, err := hook.Handle(context.Background(), signedEvent(delivered, secret, now))
		if err != nil {
			t.Fatalf("Handle of delivery %d: %v", i+1, err)
		}
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delivery %d status = %d, want 202 (body %s)", i+1, resp.StatusCode, resp.Body)
		}
		if got := decodeResponse(t, resp).Execution; got != names[i] {
			t.Fatalf("delivery %d started %s, want %s", i+1, got, names[i])
		}
	}
}

func TestWebhookKnownRunStillRunning(t *testing.T) {
	hook, states := newWebhook(t)
	deliverChanges(t, hook, states, "numpy")
	// DATA-4711 closed and left the execution history while DATA-4711-r2
	// runs, so Step Functions would accept the name DATA-4711 again.
	states.forget("DATA-4711")

	changed := []byte(strings.Replace(string(readExample(t)), `"requests"`, `"pandas"`, 1))
	resp, err := hook.Handle(context.Background(), signedEvent(changed, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("status = %d, want 409 (body %s)", resp.StatusCode, resp.Body)
	}
	want := webhook.Response{Status: webhook.StatusRejected, BlockingExecution: "DATA-4711-r2",
		Error: "execution DATA-4711-r2 of request DATA-4711 is still running with a different request; " +
			"a changed request starts a new execution of the ticket only when its earlier ones have closed, " +
			"so send it again after DATA-4711-r2 closes, or after stopping it"}
	if diff := cmp.Diff(want, decodeResponse(t, resp)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if n := states.startCount(); n != 2 {
		t.Errorf("%d executions started, want 2", n)
	}
}

func TestWebhookStartsAboveKnownRuns(t *testing.T) {
	hook, states := newWebhook(t)
	deliverChanges(t, hook, states, "numpy", "pandas")
	states.close("DATA-4711-r3")
	states.forget("DATA-4711")

	changed := []byte(strings.Replace(string(readExample(t)), `"requests"`, `"scipy"`, 1))
	resp, err := hook.Handle(context.Background(), signedEvent(changed, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status = %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r4", Status: "RUNNING"}, decodeResponse(t, resp)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if _, ok := states.inputs["DATA-4711"]; ok {
		t.Error("DATA-4711 started again after it left the execution history")
	}
	if n := states.startCount(); n != 4 {
		t.Errorf("%d executions started, want 4", n)
	}
}

func TestWebhookNameAlreadyUsed(t *testing.T) {
	body := readExample(t)
	other := `{"request":{"id":"DATA-4711"}}`
	tests := []struct {
		name string
		// input is the input of the execution DATA-4711 that Step
		// Functions has but the delivery store does not record, as after
		// the ticket's record expired. Empty means the delivered request.
		input      string
		closed     bool
		wantStatus int
		want       webhook.Response
	}{
		{"same request closed", "", true, http.StatusOK, webhook.Response{Execution: "DATA-4711", Duplicate: true,
			Reason: "execution DATA-4711 already ran this request; redrive it if it failed, or change the request to start a new execution"}},
		{"other request closed", other, true, http.StatusAccepted, webhook.Response{Execution: "DATA-4711-r2", Status: "RUNNING"}},
		{"other request running", other, false, http.StatusConflict, webhook.Response{Status: webhook.StatusRejected, BlockingExecution: "DATA-4711",
			Error: "execution DATA-4711 of request DATA-4711 is still running with a different request; " +
				"a changed request starts a new execution of the ticket only when its earlier ones have closed, " +
				"so send it again after DATA-4711 closes, or after stopping it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook, states := newWebhook(t)
			input := tt.input
			if input == "" {
				req, err := request.Parse(body)
				if err != nil {
					t.Fatal(err)
				}
				data, _ := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
				input = string(data)
			}
			states.inputs["DATA-4711"] = input
			states.closed["DATA-4711"] = tt.closed

			resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if diff := cmp.Diff(tt.want, decodeResponse(t, resp)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWebhookBase64Body(t *testing.T) {
	hook, _ := newWebhook(t)
	body := readExample(t)
	event := signedEvent(body, secret, now)
	event.Body = base64.StdEncoding.EncodeToString(body)
	event.IsBase64Encoded = true

	resp, err := hook.Handle(context.Background(), event)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status = %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
}

// unusedDeliveries fails the test when a rejected delivery reaches the
// store.
type unusedDeliveries struct{ t *testing.T }

func (u unusedDeliveries) Deliver(context.Context, dynamo.Delivery, func(context.Context, []string) (string, error)) (dynamo.Outcome, error) {
	u.t.Error("a rejected delivery reached the delivery store")
	return dynamo.Outcome{}, errors.New("unexpected")
}

func (u unusedDeliveries) ReserveReplay(context.Context, string, string, time.Time) (string, bool, error) {
	u.t.Error("a rejected delivery reached the delivery store")
	return "", false, errors.New("unexpected")
}

func (u unusedDeliveries) SettleReplay(context.Context, string, string, string) error {
	u.t.Error("a rejected delivery reached the delivery store")
	return errors.New("unexpected")
}

func (u unusedDeliveries) ReleaseReplay(context.Context, string, string) error {
	u.t.Error("a rejected delivery reached the delivery store")
	return errors.New("unexpected")
}

func (u unusedDeliveries) ClaimSigned(context.Context, string, string, time.Time, time.Time) (dynamo.SignedClaim, error) {
	u.t.Error("a rejected delivery reached the delivery store")
	return dynamo.SignedClaim{}, errors.New("unexpected")
}

func (u unusedDeliveries) CheckSigned(context.Context, string, time.Time) (dynamo.SignedClaim, error) {
	u.t.Error("a rejected delivery reached the delivery store")
	return dynamo.SignedClaim{}, errors.New("unexpected")
}

func (u unusedDeliveries) ReleaseSigned(context.Context, string, string) error {
	u.t.Error("a rejected delivery reached the delivery store")
	return errors.New("unexpected")
}

func (u unusedDeliveries) RecordSigned(context.Context, string, time.Time, string, time.Time) error {
	u.t.Error("a rejected delivery reached the delivery store")
	return errors.New("unexpected")
}

// unusedExecutions fails the test when a rejected delivery starts an
// execution.
type unusedExecutions struct{ t *testing.T }

func (u unusedExecutions) StartExecution(context.Context, string, string, json.RawMessage) (sfn.Started, error) {
	u.t.Error("a rejected delivery started an execution")
	return sfn.Started{}, errors.New("unexpected")
}

func (u unusedExecutions) DescribeExecution(context.Context, string) (sfn.Execution, error) {
	u.t.Error("a rejected delivery described an execution")
	return sfn.Execution{}, errors.New("unexpected")
}

func (u unusedExecutions) ListExecutions(context.Context, string, sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	u.t.Error("a rejected delivery listed executions")
	return nil, "", errors.New("unexpected")
}

func (u unusedExecutions) GetExecutionHistory(context.Context, string, sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	u.t.Error("a rejected delivery read an execution history")
	return nil, "", errors.New("unexpected")
}

func TestWebhookRejects(t *testing.T) {
	body := readExample(t)
	tests := []struct {
		name       string
		event      func() events.APIGatewayV2HTTPRequest
		secret     func(context.Context) ([]byte, error)
		wantStatus int
		wantError  string
	}{
		{
			name: "missing signature",
			event: func() events.APIGatewayV2HTTPRequest {
				e := signedEvent(body, secret, now)
				delete(e.Headers, "x-repolink-signature")
				return e
			},
			wantStatus: http.StatusUnauthorized,
			wantError:  "missing X-Repolink-Signature header",
		},
		{
			name:       "wrong key",
			event:      func() events.APIGatewayV2HTTPRequest { return signedEvent(body, []byte("other-key"), now) },
			wantStatus: http.StatusUnauthorized,
			wantError:  "does not match",
		},
		{
			name:       "stale timestamp",
			event:      func() events.APIGatewayV2HTTPRequest { return signedEvent(body, secret, now.Add(-time.Hour)) },
			wantStatus: http.StatusUnauthorized,
			wantError:  "away from the receiver's clock",
		},
		{
			name: "body changed after signing",
			event: func() events.APIGatewayV2HTTPRequest {
				e := signedEvent(body, secret, now)
				e.Body = strings.Replace(e.Body, "DATA-4711", "DATA-4712", 1)
				return e
			},
			wantStatus: http.StatusUnauthorized,
			wantError:  "does not match",
		},
		{
			name:       "invalid request",
			event:      func() events.APIGatewayV2HTTPRequest { return signedEvent([]byte(`{"id":"DATA-1"}`), secret, now) },
			wantStatus: http.StatusBadRequest,
			wantError:  "invalid request",
		},
		{
			name:       "YAML body",
			event:      func() events.APIGatewayV2HTTPRequest { return signedEvent([]byte("id: DATA-1\n"), secret, now) },
			wantStatus: http.StatusBadRequest,
			wantError:  "invalid request",
		},
		{
			name: "too large",
			event: func() events.APIGatewayV2HTTPRequest {
				return signedEvent([]byte(strings.Repeat(" ", webhook.MaxRequestBody+1)), secret, now)
			},
			wantStatus: http.StatusRequestEntityTooLarge,
			wantError:  "larger than",
		},
		{
			name: "GET",
			event: func() events.APIGatewayV2HTTPRequest {
				e := signedEvent(body, secret, now)
				e.RequestContext.HTTP.Method = http.MethodGet
				return e
			},
			wantStatus: http.StatusMethodNotAllowed,
			wantError:  "use POST",
		},
		{
			name:       "empty secret",
			event:      func() events.APIGatewayV2HTTPRequest { return signedEvent(body, nil, now) },
			secret:     func(context.Context) ([]byte, error) { return nil, nil },
			wantStatus: http.StatusInternalServerError,
			wantError:  "secret is unavailable",
		},
		{
			name:       "secret unreadable",
			event:      func() events.APIGatewayV2HTTPRequest { return signedEvent(body, secret, now) },
			secret:     func(context.Context) ([]byte, error) { return nil, errors.New("AccessDeniedException") },
			wantStatus: http.StatusInternalServerError,
			wantError:  "secret is unavailable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := &httpapi.Webhook{
				Secret:          func(context.Context) ([]byte, error) { return secret, nil },
				Deliveries:      unusedDeliveries{t},
				Executions:      unusedExecutions{t},
				StateMachineARN: machineARN,
				Now:             func() time.Time { return now },
			}
			if tt.secret != nil {
				hook.Secret = tt.secret
			}
			resp, err := hook.Handle(context.Background(), tt.event())
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if got := decodeResponse(t, resp).Error; !strings.Contains(got, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", got, tt.wantError)
			}
			if strings.Contains(resp.Body, string(secret)) {
				t.Errorf("response %s contains the secret", resp.Body)
			}
		})
	}
}

func TestWebhookNotConfigured(t *testing.T) {
	hook := &httpapi.Webhook{Deliveries: unusedDeliveries{t}, Executions: unusedExecutions{t}, StateMachineARN: machineARN}
	resp, err := hook.Handle(context.Background(), signedEvent(readExample(t), secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	// A webhook without a key must not accept deliveries unverified.
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status without a secret = %d, want 500", resp.StatusCode)
	}
}

func TestCachedSecret(t *testing.T) {
	clock := now
	reads := 0
	cache := &httpapi.CachedSecret{
		Read: func(context.Context) (string, error) {
			reads++
			return "key-" + strconv.Itoa(reads), nil
		},
		TTL: time.Minute,
		Now: func() time.Time { return clock },
	}
	ctx := context.Background()

	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "key-1"},
		{30 * time.Second, "key-1"},
		{31 * time.Second, "key-2"},
	}
	for i, step := range steps {
		clock = clock.Add(step.advance)
		got, err := cache.Get(ctx)
		if err != nil {
			t.Fatalf("step %d: Get: %v", i, err)
		}
		if string(got) != step.want {
			t.Errorf("step %d: Get = %q, want %q", i, got, step.want)
		}
	}
}

func TestCachedSecretDoesNotCacheErrors(t *testing.T) {
	fail := true
	cache := &httpapi.CachedSecret{Read: func(context.Context) (string, error) {
		if fail {
			return "", errors.New("throttled")
		}
		return "key", nil
	}}
	if _, err := cache.Get(context.Background()); err == nil {
		t.Fatal("first Get: nil error, want the read error")
	}
	fail = false
	got, err := cache.Get(context.Background())
	if err != nil || string(got) != "key" {
		t.Errorf("Get after a failed read = %q, %v; want key", got, err)
	}
}

func TestWebhookRejectsLocalCredentialRefs(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(doc map[string]any)
		field string
	}{
		{
			name: "env password",
			edit: func(doc map[string]any) {
				doc["repository"].(map[string]any)["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:AWS_SECRET_ACCESS_KEY"}
			},
			field: "$.repository.auth.password_ref",
		},
		{
			name:  "file private key",
			edit:  func(doc map[string]any) { doc["snowflake"].(map[string]any)["private_key_ref"] = "file:/etc/hostname" },
			field: "$.snowflake.private_key_ref",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(readExample(t), &doc); err != nil {
				t.Fatal(err)
			}
			tt.edit(doc)
			body, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			hook := &httpapi.Webhook{
				Secret:          func(context.Context) ([]byte, error) { return secret, nil },
				Deliveries:      unusedDeliveries{t},
				Executions:      unusedExecutions{t},
				StateMachineARN: machineARN,
				Now:             func() time.Time { return now },
			}
			resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, http.StatusBadRequest, resp.Body)
			}
			got := decodeResponse(t, resp).Errors
			if len(got) != 1 {
				t.Fatalf("field errors = %+v, want one", got)
			}
			if got[0].Path != tt.field {
				t.Errorf("field = %s, want %s", got[0].Path, tt.field)
			}
			if !strings.Contains(got[0].Message, "aws-secretsmanager:ARN") {
				t.Errorf("message %q does not say to use aws-secretsmanager:ARN", got[0].Message)
			}
		})
	}
}

// TestWebhookLatestRunStartedElsewhere delivers the request of the ticket's
// latest run, DATA-4711-r2, which the Step Functions API started with a
// changed request and the delivery store does not record. Each delivery of
// that request is a duplicate of DATA-4711-r2, whether it runs or closed,
// as with POST /v1/requests of repolink up.
func TestWebhookLatestRunStartedElsewhere(t *testing.T) {
	for _, closed := range []bool{false, true} {
		t.Run(fmt.Sprintf("closed=%v", closed), func(t *testing.T) {
			hook, states := newWebhook(t)
			ctx := context.Background()
			if resp, err := hook.Handle(ctx, signedEvent(readExample(t), secret, now)); err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("first delivery = %d, %v; want 202", resp.StatusCode, err)
			}
			states.close("DATA-4711")

			changed := []byte(strings.Replace(string(readExample(t)), `"requests"`, `"numpy"`, 1))
			req, err := request.Parse(changed)
			if err != nil {
				t.Fatal(err)
			}
			input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
			if err != nil {
				t.Fatal(err)
			}
			states.mu.Lock()
			states.inputs["DATA-4711-r2"] = string(input)
			states.closed["DATA-4711-r2"] = closed
			states.mu.Unlock()

			for i := range 2 {
				resp, err := hook.Handle(ctx, signedEvent(changed, secret, now))
				if err != nil {
					t.Fatalf("Handle of delivery %d: %v", i+1, err)
				}
				got := decodeResponse(t, resp)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("delivery %d status = %d, want 200 (body %s)", i+1, resp.StatusCode, resp.Body)
				}
				if !got.Duplicate || got.Execution != "DATA-4711-r2" {
					t.Errorf("delivery %d = %+v, want a duplicate of DATA-4711-r2", i+1, got)
				}
			}
			if n := states.startCount(); n != 1 {
				t.Errorf("%d executions started through the webhook, want 1", n)
			}
		})
	}
}
