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
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

var (
	secret = []byte("notify-test-key")
	now    = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

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

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestHandleTaskInput(t *testing.T) {
	recv := newReceiver(t, http.StatusNoContent)
	req := baseRequest(t, recv.URL+"/hooks/repolink?source=tickets")
	resources := workflow.Resources{Repository: &workflow.Result{Action: workflow.Created, ID: "CORP_PYPI"}}

	tests := []struct {
		name  string
		input map[string]any
		want  notifier.Notification
	}{
		{
			name:  "succeeded",
			input: map[string]any{"request": req, "resources": resources, "execution": "DATA-4711"},
			want:  notifier.Notification{ID: "DATA-4711", Execution: "DATA-4711", Status: "SUCCEEDED", Resources: &resources},
		},
		{
			name: "caught failure",
			input: map[string]any{"request": req, "resources": resources, "execution": "DATA-4711",
				"failure": map[string]string{"Error": "Rejected", "Cause": "connection rejected"}},
			want: notifier.Notification{ID: "DATA-4711", Execution: "DATA-4711", Status: "FAILED",
				Error: "Rejected", Cause: "connection rejected", Resources: &resources},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv.got = nil
			out, err := recv.notifier(secret).Handle(context.Background(), mustJSON(t, tt.input))
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

func TestHandleStatusChangeEvent(t *testing.T) {
	recv := newReceiver(t, http.StatusOK)
	req := baseRequest(t, recv.URL)
	input := string(mustJSON(t, workflow.Document{Request: req}))
	event := map[string]any{
		"version":     "0",
		"detail-type": "Step Functions Execution Status Change",
		"source":      "aws.states",
		"detail": map[string]any{
			"executionArn": "arn:aws:states:us-west-2:123456789012:execution:rl-provision:DATA-4711",
			"name":         "DATA-4711",
			"status":       "TIMED_OUT",
			"input":        input,
			"output":       nil,
			"error":        "States.Timeout",
			"cause":        "execution timed out",
		},
	}

	if _, err := recv.notifier(secret).Handle(context.Background(), mustJSON(t, event)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	want := []notifier.Notification{{ID: "DATA-4711", Execution: "DATA-4711", Status: "TIMED_OUT", Error: "States.Timeout", Cause: "execution timed out"}}
	if diff := cmp.Diff(want, recv.got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

func TestHandleWithoutNotifyURL(t *testing.T) {
	n := &notifier.Notifier{}
	out, err := n.Handle(context.Background(), mustJSON(t, map[string]any{"request": baseRequest(t, "")}))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if !strings.Contains(string(out), `"skipped"`) {
		t.Errorf("Handle output = %s, want skipped", out)
	}
}

func TestHandleErrorNames(t *testing.T) {
	tests := []struct {
		name   string
		status int
		key    []byte
		url    func(*receiver) string
		want   string
	}{
		{"receiver error", http.StatusBadGateway, secret, nil, workflow.ErrTransient},
		{"receiver timeout", http.StatusRequestTimeout, secret, nil, workflow.ErrTransient},
		{"receiver throttles", http.StatusTooManyRequests, secret, nil, workflow.ErrThrottled},
		{"receiver rejects", http.StatusForbidden, secret, nil, workflow.ErrRejected},
		{"wrong key", http.StatusOK, []byte("other-key"), nil, workflow.ErrRejected},
		{"no key configured", http.StatusOK, nil, nil, workflow.ErrInvalidRequest},
		{"plain http", http.StatusOK, secret, func(r *receiver) string { return "http://127.0.0.1:1/hook" }, workflow.ErrInvalidRequest},
		{"receiver down", http.StatusOK, secret, func(r *receiver) string {
			r.Close()
			return r.URL
		}, workflow.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := newReceiver(t, tt.status)
			target := recv.URL
			if tt.url != nil {
				target = tt.url(recv)
			}
			input := mustJSON(t, map[string]any{"request": baseRequest(t, target)})

			_, err := recv.notifier(tt.key).Handle(context.Background(), input)
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("Handle error %v named %q, want %q", err, got, tt.want)
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
	input := mustJSON(t, map[string]any{"request": baseRequest(t, recv.URL+"/hook?token=s3cr3t")})

	_, err := recv.notifier(secret).Handle(context.Background(), input)
	if err == nil {
		t.Fatal("Handle to a closed receiver: nil error, want one")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the notify URL's query", err)
	}
}
