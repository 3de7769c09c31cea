package webhook

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// jiraWithComment returns the Jira test delivery with a comment of n bytes
// on the issue, as Jira sends an issue's comments with every delivery.
func jiraWithComment(t *testing.T, n int) []byte {
	t.Helper()
	return payload(t, "jira-issue-updated.json", `"customfield_10208": "pypi.corp.example.com:443"`,
		`"customfield_10208": "pypi.corp.example.com:443", "comment": {"comments": [{"body": "`+strings.Repeat("x", n)+`"}]}`)
}

// newLoggedService returns a test service whose handler logs JSON records
// to the returned buffer.
func newLoggedService(t *testing.T, sources ...Source) (*testService, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	svc := newTestService(t, sources...)
	h, err := New(Config{Secret: testSecret, Executions: svc.execs, Store: svc.store, Now: func() time.Time { return testNow },
		Sources: sources, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	svc.handler = h
	svc.mux = http.NewServeMux()
	h.Register(svc.mux)
	return svc, &logs
}

func TestJiraDeliveryAboveRequestLimit(t *testing.T) {
	svc := newTestService(t, exampleSource(t, "jira", nil))
	body := jiraWithComment(t, 3*request.MaxSize)

	code, resp := svc.post(t, "/v1/hooks/jira", body, map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body)})

	if code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body %+v", code, resp)
	}
	if resp.Execution != "DATA-4711" {
		t.Errorf("execution = %q, want DATA-4711", resp.Execution)
	}
}

func TestJiraDeliveryAboveDeliveryLimit(t *testing.T) {
	svc, logs := newLoggedService(t, exampleSource(t, "jira", nil))
	body := jiraWithComment(t, MaxDelivery)
	headers := map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body), "X-Atlassian-Webhook-Identifier": "delivery-77"}

	code, resp := svc.post(t, "/v1/hooks/jira", body, headers)

	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413; body %+v", code, resp)
	}
	if got := svc.execs.starts.Load(); got != 0 {
		t.Errorf("executions started = %d, want 0", got)
	}
	var record map[string]any
	if err := json.Unmarshal(logs.Bytes(), &record); err != nil {
		t.Fatalf("log %q is not one JSON record: %v", logs.String(), err)
	}
	if record["source"] != "jira" {
		t.Errorf("logged source = %v, want jira", record["source"])
	}
	if record["delivery_id"] != "delivery-77" {
		t.Errorf("logged delivery_id = %v, want delivery-77", record["delivery_id"])
	}
	if record["content_length"] != float64(len(body)) {
		t.Errorf("logged content_length = %v, want %d", record["content_length"], len(body))
	}
}

func TestJiraMappedRequestTooLarge(t *testing.T) {
	svc := newTestService(t, exampleSource(t, "jira", nil))
	packages := strings.TrimSuffix(strings.Repeat("requests, ", request.MaxSize/10+1), ", ")
	body := payload(t, "jira-issue-updated.json", `"requests, corp-utils==2.3.1"`, `"`+packages+`"`)

	code, resp := svc.post(t, "/v1/hooks/jira", body, map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body)})

	if code != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400; body %+v", code, resp)
	}
	if len(resp.Errors) != 1 {
		t.Fatalf("field errors = %+v, want one", resp.Errors)
	}
	if resp.Errors[0].Path != "$.repository.packages" {
		t.Errorf("field error path = %q, want $.repository.packages", resp.Errors[0].Path)
	}
	if !strings.Contains(resp.Errors[0].Message, "issue.fields.customfield_10206") {
		t.Errorf("field error %q does not name the ticket field", resp.Errors[0].Message)
	}
	if got := svc.execs.starts.Load(); got != 0 {
		t.Errorf("executions started = %d, want 0", got)
	}
}
