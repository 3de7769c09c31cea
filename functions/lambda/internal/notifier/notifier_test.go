package notifier_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

var (
	secret = []byte("notify-test-key")
	now    = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

const executionARN = "arn:aws:states:us-west-2:123456789012:execution:rl-provision:DATA-4711"

// receiver is a TLS endpoint that checks repolink's signature and records
// the notifications it accepts.
type receiver struct {
	*httptest.Server
	status int
	mu     sync.Mutex
	got    []notifier.Notification
	errs   []error
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.VerifyTimestamped(secret, req.Header, body, now); err != nil {
		r.errs = append(r.errs, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var note notifier.Notification
	if err := json.Unmarshal(body, &note); err != nil {
		r.errs = append(r.errs, err)
	}
	r.got = append(r.got, note)
	if r.status == http.StatusFound {
		http.Redirect(w, req, "https://elsewhere.example.com/", http.StatusFound)
		return
	}
	w.WriteHeader(r.status)
}

func (r *receiver) notifier(key []byte) *notifier.Notifier {
	n := &notifier.Notifier{Client: r.Client(), Now: func() time.Time { return now }}
	if key != nil {
		n.Secret = func(context.Context) ([]byte, error) { return key, nil }
	}
	return n
}

func baseRequest(t *testing.T, notifyURL string) request.Request {
	t.Helper()
	raw := `{
		"id": "DATA-4711",
		"route": "public",
		"snowflake": {"account": "myorg-analytics", "user": "REPOLINK_SVC", "password_ref": "env:SF_PASSWORD", "database": "PLATFORM", "schema": "PACKAGES"},
		"repository": {"name": "corp_pypi", "index_url": "https://pypi.corp.example.com/simple/", "auth": {"type": "token", "token_ref": "env:INDEX_TOKEN"}, "packages": ["requests"]}
	}`
	req, err := request.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse test request: %v", err)
	}
	if notifyURL != "" {
		req.Notify = &request.Notify{URL: notifyURL}
	}
	return req
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// statusEvent returns the EventBridge event of an execution of req that
// reached status, with output as the execution output when not empty.
func statusEvent(t *testing.T, req request.Request, status, output, errName, cause string) json.RawMessage {
	t.Helper()
	detail := map[string]any{
		"executionArn":    executionARN,
		"stateMachineArn": "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
		"name":            "DATA-4711",
		"status":          status,
		"startDate":       now.Add(-time.Hour).UnixMilli(),
		"stopDate":        now.UnixMilli(),
		"input":           mustJSON(t, workflow.Document{Request: req}),
		"output":          nil,
		"redriveCount":    1,
	}
	if output != "" {
		detail["output"] = output
	}
	if errName != "" {
		detail["error"], detail["cause"] = errName, cause
	}
	return json.RawMessage(mustJSON(t, map[string]any{
		"version":     "0",
		"detail-type": "Step Functions Execution Status Change",
		"source":      "aws.states",
		"detail":      detail,
	}))
}

// teardownStatusEvent returns event as the teardown state machine sends it.
func teardownStatusEvent(t *testing.T, event json.RawMessage) json.RawMessage {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal(event, &fields); err != nil {
		t.Fatal(err)
	}
	fields["detail"].(map[string]any)["stateMachineArn"] = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown"
	return json.RawMessage(mustJSON(t, fields))
}

func TestHandleClosedExecutions(t *testing.T) {
	recv := newReceiver(t, http.StatusNoContent)
	req := baseRequest(t, recv.URL+"/hooks/repolink?source=tickets")
	resources := `{"repository":{"action":"created","id":"CORP_PYPI"}}`
	output := mustJSON(t, map[string]json.RawMessage{"request": json.RawMessage(mustJSON(t, req)), "resources": json.RawMessage(resources)})

	base := notifier.Notification{
		Machine: "provision", Execution: "DATA-4711", RequestID: "DATA-4711", RedriveCount: 1,
		StartedAt: execview.At(now.Add(-time.Hour)), StoppedAt: execview.At(now),
	}
	succeeded := base
	succeeded.Event, succeeded.Status, succeeded.Resources = "succeeded", "SUCCEEDED", json.RawMessage(resources)
	failed := base
	failed.Event, failed.Status, failed.Error = "needs_operator", "FAILED", "Rejected"
	failed.FailedStep, failed.Cause = "connection", "connection vpce-0abc is rejected"
	failed.Next = "fix the cause, then run 'aws stepfunctions redrive-execution --execution-arn " + executionARN + "' to resume from the failed step"
	timedOut := base
	timedOut.Event, timedOut.Status, timedOut.Error = "needs_operator", "TIMED_OUT", "States.Timeout"
	timedOut.FailedStep, timedOut.Cause = "unknown", "execution timed out"
	timedOut.Next = failed.Next

	tornDown := succeeded
	tornDown.Event, tornDown.Machine = "torn_down", "teardown"
	teardownEvent := teardownStatusEvent(t, statusEvent(t, req, "SUCCEEDED", output, "", ""))

	tests := []struct {
		name  string
		event json.RawMessage
		want  notifier.Notification
	}{
		{"succeeded", statusEvent(t, req, "SUCCEEDED", output, "", ""), succeeded},
		{"teardown succeeded", teardownEvent, tornDown},
		{"failed step", statusEvent(t, req, "FAILED", "", "Rejected", "connection: connection vpce-0abc is rejected"), failed},
		{"timed out", statusEvent(t, req, "TIMED_OUT", "", "States.Timeout", "execution timed out"), timedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv.got = nil
			out, err := recv.notifier(secret).Handle(context.Background(), tt.event)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if string(out) != `{"delivered":true,"status_code":204}` {
				t.Errorf("Handle output = %s, want delivered with 204", out)
			}
			if len(recv.errs) > 0 {
				t.Fatalf("receiver rejected the notification: %v", recv.errs)
			}
			if diff := cmp.Diff([]notifier.Notification{tt.want}, recv.got); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandleNextForRequestErrors(t *testing.T) {
	recv := newReceiver(t, http.StatusOK)
	req := baseRequest(t, recv.URL+"/hooks/repolink")
	redrive := "'aws stepfunctions redrive-execution --execution-arn " + executionARN + "'"
	tests := []struct {
		name   string
		event  json.RawMessage
		want   []string
		unwant []string
	}{
		{
			name:  "preflight invalid",
			event: statusEvent(t, req, "FAILED", "", "InvalidRequest", "preflight: no version of corp-utils on the index satisfies \"corp-utils>=3\""),
			want: []string{
				"change the request to fix the cause, then send the changed request to the webhook again, such as by updating the ticket",
				"so run " + redrive + " only when the fix lies outside the request",
			},
			unwant: []string{"fix the cause, then run 'aws stepfunctions"},
		},
		{
			name:  "name clash",
			event: statusEvent(t, req, "FAILED", "", "Conflict", "preflight: artifact repository CORP_PYPI was created for request DATA-1"),
			want: []string{
				"change the request, then send the changed request to the webhook again",
				"fix that, then run " + redrive + " to resume from the failed step",
			},
		},
		{
			name: "conflict needing a new VM",
			event: statusEvent(t, req, "FAILED", "", "Conflict",
				"proxy_vm: the instance type changed; "+workflow.ReplaceFix("the proxy VM is not changed in place", "DATA-1")),
			want: []string{
				"a redrive fails the same way",
				"then send the request to the webhook again",
			},
			unwant: []string{redrive},
		},
		{
			name:   "teardown invalid",
			event:  teardownStatusEvent(t, statusEvent(t, req, "FAILED", "", "InvalidRequest", "the request names a route that this teardown state machine does not remove")),
			want:   []string{"fix the cause, then run " + redrive + " to resume from the failed step"},
			unwant: []string{"change the request"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv.got = nil
			if _, err := recv.notifier(secret).Handle(context.Background(), tt.event); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if len(recv.got) != 1 {
				t.Fatalf("receiver got %d notifications, want 1", len(recv.got))
			}
			next := recv.got[0].Next
			for _, want := range tt.want {
				if !strings.Contains(next, want) {
					t.Errorf("next = %q, want it to contain %q", next, want)
				}
			}
			for _, unwant := range tt.unwant {
				if strings.Contains(next, unwant) {
					t.Errorf("next = %q, want it without %q", next, unwant)
				}
			}
		})
	}
}

func TestHandleSkips(t *testing.T) {
	recv := newReceiver(t, http.StatusOK)
	tests := []struct {
		name  string
		event json.RawMessage
	}{
		{"running execution", statusEvent(t, baseRequest(t, recv.URL), "RUNNING", "", "", "")},
		{"no notify URL", statusEvent(t, baseRequest(t, ""), "SUCCEEDED", "", "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := recv.notifier(secret).Handle(context.Background(), tt.event)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !strings.Contains(string(out), `"skipped"`) {
				t.Errorf("Handle output = %s, want skipped", out)
			}
			if len(recv.got) != 0 {
				t.Errorf("receiver got %d notifications, want none", len(recv.got))
			}
		})
	}
}

func TestHandleOutcomes(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		key           []byte
		url           func(*receiver) string
		wantErrorName string
		// wantStatusCode is the status of a response that is returned as
		// not delivered, with no error.
		wantStatusCode int
	}{
		{name: "receiver error", status: http.StatusBadGateway, key: secret, wantErrorName: workflow.ErrTransient},
		{name: "receiver timeout", status: http.StatusRequestTimeout, key: secret, wantErrorName: workflow.ErrTransient},
		{name: "receiver throttles", status: http.StatusTooManyRequests, key: secret, wantErrorName: workflow.ErrThrottled},
		{name: "receiver rejects", status: http.StatusForbidden, key: secret, wantStatusCode: http.StatusForbidden},
		{name: "wrong key", status: http.StatusOK, key: []byte("other-key"), wantStatusCode: http.StatusUnauthorized},
		{name: "redirect not followed", status: http.StatusFound, key: secret, wantStatusCode: http.StatusFound},
		{name: "no key configured", status: http.StatusOK, wantErrorName: workflow.ErrInvalidRequest},
		{name: "plain http", status: http.StatusOK, key: secret, url: func(*receiver) string { return "http://127.0.0.1:1/hook" },
			wantErrorName: workflow.ErrInvalidRequest},
		{name: "receiver down", status: http.StatusOK, key: secret, url: func(r *receiver) string {
			r.Close()
			return r.URL
		}, wantErrorName: workflow.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := newReceiver(t, tt.status)
			target := recv.URL
			if tt.url != nil {
				target = tt.url(recv)
			}
			event := statusEvent(t, baseRequest(t, target), "SUCCEEDED", "", "", "")

			out, err := recv.notifier(tt.key).Handle(context.Background(), event)
			if got := workflow.NameOf(err); got != tt.wantErrorName {
				t.Errorf("Handle error %v named %q, want %q", err, got, tt.wantErrorName)
			}
			if tt.wantErrorName != "" {
				return
			}
			var result notifier.Result
			if err := json.Unmarshal(out, &result); err != nil {
				t.Fatalf("output %s: %v", out, err)
			}
			if diff := cmp.Diff(notifier.Result{StatusCode: tt.wantStatusCode}, result); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandleUnsupportedEvent(t *testing.T) {
	n := &notifier.Notifier{}
	_, err := n.Handle(context.Background(), json.RawMessage(`{"detail-type":"Scheduled Event","detail":{}}`))
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("Handle error %v named %q, want %q", err, got, workflow.ErrInvalidRequest)
	}
}

func TestErrorsOmitQuery(t *testing.T) {
	recv := newReceiver(t, http.StatusOK)
	recv.Close()
	event := statusEvent(t, baseRequest(t, recv.URL+"/hook?token=s3cr3t"), "SUCCEEDED", "", "", "")

	_, err := recv.notifier(secret).Handle(context.Background(), event)
	if err == nil {
		t.Fatal("Handle to a closed receiver: nil error, want one")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the notify URL's query", err)
	}
}
