package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/webhook"
)

func handle(t *testing.T, hook *httpapi.Webhook, event events.APIGatewayV2HTTPRequest) (int, webhook.Response) {
	t.Helper()
	resp, err := hook.Handle(context.Background(), event)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return resp.StatusCode, decodeResponse(t, resp)
}

// TestWebhookReplay sends request A, then a changed request B after A
// closed, and then repeats each event byte for byte. No repeat may start
// an execution, and each must name the execution of its first delivery.
func TestWebhookReplay(t *testing.T) {
	hook, states := newWebhook(t)
	body := readExample(t)
	eventA := signedEvent(body, secret, now)
	eventB := signedEvent([]byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1)), secret, now)

	if code, resp := handle(t, hook, eventA); code != http.StatusAccepted {
		t.Fatalf("request A = %d %+v, want 202", code, resp)
	}
	states.close("DATA-4711")
	if code, resp := handle(t, hook, eventB); code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Fatalf("request B = %d %+v, want 202 DATA-4711-r2", code, resp)
	}
	states.close("DATA-4711-r2")

	replays := []struct {
		name      string
		event     events.APIGatewayV2HTTPRequest
		execution string
	}{
		{name: "older delivery after a newer one", event: eventA, execution: "DATA-4711"},
		{name: "retry of the latest delivery", event: eventB, execution: "DATA-4711-r2"},
	}
	for _, replay := range replays {
		code, resp := handle(t, hook, replay.event)
		if code != http.StatusOK {
			t.Errorf("%s: status = %d, want 200", replay.name, code)
		}
		want := webhook.Response{Execution: replay.execution, Duplicate: true, Reason: webhook.ReplayReason(replay.execution)}
		if diff := cmp.Diff(want, resp); diff != "" {
			t.Errorf("%s: response (-want +got):\n%s", replay.name, diff)
		}
	}
	if n := states.startCount(); n != 2 {
		t.Errorf("%d executions started, want 2", n)
	}
}

// TestWebhookReplayAfterConflict sends a changed request while the first
// one runs, which starts nothing, and the same event again after the first
// closed, which must start the change.
func TestWebhookReplayAfterConflict(t *testing.T) {
	hook, states := newWebhook(t)
	body := readExample(t)
	if code, resp := handle(t, hook, signedEvent(body, secret, now)); code != http.StatusAccepted {
		t.Fatalf("first request = %d %+v, want 202", code, resp)
	}
	changed := signedEvent([]byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1)), secret, now)
	if code, resp := handle(t, hook, changed); code != http.StatusConflict {
		t.Fatalf("change while the first runs = %d %+v, want 409", code, resp)
	}

	states.close("DATA-4711")
	code, resp := handle(t, hook, changed)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Errorf("same change after the first closed = %d %+v, want 202 DATA-4711-r2", code, resp)
	}
}
