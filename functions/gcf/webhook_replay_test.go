package gcf

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

// TestWebhookReplay repeats a signed delivery byte for byte after a changed
// request of the same ticket ran. The function keeps its deliveries in
// Firestore, and the repeat must start nothing.
func TestWebhookReplay(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	signedAt := time.Now()
	post := func(body []byte, at time.Time) (int, webhook.Response) {
		t.Helper()
		return postSignedAt(t, server.URL, body, at)
	}

	first := exampleRequest(t, nil)
	if status, out := post(first, signedAt); status != http.StatusAccepted {
		t.Fatalf("request A: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")
	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})
	if status, out := post(changed, signedAt.Add(time.Second)); status != http.StatusAccepted {
		t.Fatalf("request B: status = %d (%+v), want 202", status, out)
	}
	workflows.finish("SUCCEEDED")

	status, out := post(first, signedAt)
	if status != http.StatusOK {
		t.Errorf("replay of A: status = %d (%+v), want 200", status, out)
	}
	if out.Execution != "exec-1" || !out.Duplicate || out.Reason != webhook.ReplayReason("exec-1", webhook.ExecutionStatus{Status: "SUCCEEDED"}, false) {
		t.Errorf("replay of A: response = %+v, want a duplicate naming exec-1 with the replay reason", out)
	}
	if n := len(workflows.started()); n != 2 {
		t.Errorf("%d executions started, want 2", n)
	}
}

// TestWebhookStaleDelivery sends request A, a changed request B that gets
// 409 while A runs, and a changed request C after A closed. B sent again
// byte for byte must start nothing and name C's execution. Going back to A
// with a new timestamp starts it, and a retry of that delivery is a
// duplicate.
func TestWebhookStaleDelivery(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	signedAt := time.Now()
	post := func(body []byte, at time.Time) (int, webhook.Response) {
		t.Helper()
		return postSignedAt(t, server.URL, body, at)
	}
	withPackages := func(packages ...string) []byte {
		return exampleRequest(t, func(doc map[string]any) {
			doc["repository"].(map[string]any)["packages"] = packages
		})
	}
	a, b, c := withPackages("requests"), withPackages("numpy"), withPackages("pandas")

	if status, out := post(a, signedAt); status != http.StatusAccepted {
		t.Fatalf("A: status = %d (%+v), want 202", status, out)
	}
	if status, out := post(b, signedAt.Add(time.Second)); status != http.StatusConflict {
		t.Fatalf("B while A runs: status = %d (%+v), want 409", status, out)
	}
	workflows.finish("SUCCEEDED")
	if status, out := post(c, signedAt.Add(2*time.Second)); status != http.StatusAccepted || out.Execution != "exec-2" {
		t.Fatalf("C after A closed: status = %d (%+v), want 202 exec-2", status, out)
	}
	workflows.finish("SUCCEEDED")

	status, out := post(b, signedAt.Add(time.Second))
	if status != http.StatusConflict {
		t.Errorf("B again: status = %d (%+v), want 409", status, out)
	}
	if out.Status != webhook.StatusRejected {
		t.Errorf("B again: status field = %q, want %s", out.Status, webhook.StatusRejected)
	}
	if out.BlockingExecution != "exec-2" {
		t.Errorf("B again: blocking_execution = %q, want exec-2, the execution of C", out.BlockingExecution)
	}
	if !strings.Contains(out.Error, webhook.HeaderTimestamp) {
		t.Errorf("B again: error = %q, want advice to sign again in %s", out.Error, webhook.HeaderTimestamp)
	}
	if n := len(workflows.started()); n != 2 {
		t.Errorf("%d executions started after B again, want 2", n)
	}

	if status, out := post(a, signedAt.Add(3*time.Second)); status != http.StatusAccepted || out.Execution != "exec-3" {
		t.Errorf("A signed anew: status = %d (%+v), want 202 exec-3", status, out)
	}
	status, out = post(a, signedAt.Add(3*time.Second))
	if status != http.StatusOK || !out.Duplicate || out.Execution != "exec-3" {
		t.Errorf("retry of A signed anew: status = %d (%+v), want 200 duplicate exec-3", status, out)
	}
	if n := len(workflows.started()); n != 3 {
		t.Errorf("%d executions started in all, want 3", n)
	}
}

// postSignedAt sends body to POST /v1/requests of the function at url,
// signed with the test key at signedAt, and returns the status code and
// the decoded response.
func postSignedAt(t *testing.T, url string, body []byte, signedAt time.Time) (int, webhook.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/requests", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	webhook.SetSignature(req.Header, []byte(testWebhookKey), signedAt, body)
	return send(t, req)
}
