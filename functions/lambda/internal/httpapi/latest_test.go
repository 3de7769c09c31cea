package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// TestWebhookEarlierRequestAfterOutsideRun delivers requests A, B and A,
// then starts B again through the Step Functions API under the next run
// name, outside the webhook. A signed again after that is not the request
// of the ticket's latest run, so it must start the run after the outside
// one instead of being a duplicate of DATA-4711-r3.
func TestWebhookEarlierRequestAfterOutsideRun(t *testing.T) {
	hook, states := newWebhook(t)
	deliverChanges(t, hook, states, "numpy")
	states.close("DATA-4711-r2")
	ctx := context.Background()
	body := readExample(t)
	resp, err := hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("third delivery = %d, %v; want 202 (body %s)", resp.StatusCode, err, resp.Body)
	}
	states.close("DATA-4711-r3")

	changed, err := request.Parse([]byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(workflow.Document{Request: changed, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	states.mu.Lock()
	states.inputs["DATA-4711-r4"] = string(input)
	states.closed["DATA-4711-r4"] = true
	states.mu.Unlock()

	resp, err = hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle of the first request after DATA-4711-r4: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("first request after DATA-4711-r4: status %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r5", Status: "RUNNING"}, decodeResponse(t, resp)); diff != "" {
		t.Errorf("first request after DATA-4711-r4 (-want +got):\n%s", diff)
	}

	resp, err = hook.Handle(ctx, signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle of the repeated request: %v", err)
	}
	got := decodeResponse(t, resp)
	if resp.StatusCode != http.StatusOK || !got.Duplicate || got.Execution != "DATA-4711-r5" {
		t.Errorf("repeated request = %d %+v, want 200 duplicate of DATA-4711-r5", resp.StatusCode, got)
	}
	if n := states.startCount(); n != 4 {
		t.Errorf("%d executions started through the webhook, want 4", n)
	}
}
