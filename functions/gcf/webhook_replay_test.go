package gcf

import (
	"bytes"
	"net/http"
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
		req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/requests", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		webhook.SetSignature(req.Header, []byte(testWebhookKey), at, body)
		return send(t, req)
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
	if out.Execution != "exec-1" || !out.Duplicate || out.Reason != webhook.ReplayReason("exec-1") {
		t.Errorf("replay of A: response = %+v, want a duplicate naming exec-1 with the replay reason", out)
	}
	if n := len(workflows.started()); n != 2 {
		t.Errorf("%d executions started, want 2", n)
	}
}
