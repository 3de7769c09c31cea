package httpapi_test

import (
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
	body := readExample(t)
	if code, resp := handle(t, hook, signedEvent(body, secret, now)); code != http.StatusAccepted {
		t.Fatalf("third delivery = %d %+v, want 202", code, resp)
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

	code, got := handle(t, hook, signedEvent(body, secret, now))
	if code != http.StatusAccepted {
		t.Errorf("first request after DATA-4711-r4: status %d, want 202", code)
	}
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r5", Status: "RUNNING"}, got); diff != "" {
		t.Errorf("first request after DATA-4711-r4 (-want +got):\n%s", diff)
	}

	code, got = handle(t, hook, signedEvent(body, secret, now))
	if code != http.StatusOK || !got.Duplicate || got.Execution != "DATA-4711-r5" {
		t.Errorf("repeated request = %d %+v, want 200 duplicate of DATA-4711-r5", code, got)
	}
	if n := states.startCount(); n != 4 {
		t.Errorf("%d executions started through the webhook, want 4", n)
	}
}
