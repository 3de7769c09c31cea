package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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
		want := webhook.Response{Execution: replay.execution, Duplicate: true, Reason: webhook.ReplayReason(replay.execution, webhook.ExecutionStatus{Status: "SUCCEEDED"}, false)}
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

// TestWebhookStaleDelivery sends request A, a changed request B that gets
// 409 while A runs, and a changed request C after A closed. B sent again
// byte for byte must start nothing and name C's execution. Going back to A
// with a new timestamp starts it, and a retry of that delivery is a
// duplicate.
func TestWebhookStaleDelivery(t *testing.T) {
	hook, states := newWebhook(t)
	body := readExample(t)
	withPackage := func(name string) []byte {
		return []byte(strings.Replace(string(body), `"requests"`, `"`+name+`"`, 1))
	}
	eventA := signedEvent(body, secret, now)
	eventB := signedEvent(withPackage("numpy"), secret, now.Add(time.Second))
	eventC := signedEvent(withPackage("pandas"), secret, now.Add(2*time.Second))

	if code, resp := handle(t, hook, eventA); code != http.StatusAccepted {
		t.Fatalf("A = %d %+v, want 202", code, resp)
	}
	if code, resp := handle(t, hook, eventB); code != http.StatusConflict {
		t.Fatalf("B while A runs = %d %+v, want 409", code, resp)
	}
	states.close("DATA-4711")
	if code, resp := handle(t, hook, eventC); code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Fatalf("C after A closed = %d %+v, want 202 DATA-4711-r2", code, resp)
	}
	states.close("DATA-4711-r2")

	code, resp := handle(t, hook, eventB)
	checkStale(t, "B again", code, resp, "DATA-4711-r2")
	if n := states.startCount(); n != 2 {
		t.Errorf("%d executions started after B again, want 2", n)
	}

	goBack := signedEvent(body, secret, now.Add(3*time.Second))
	if code, resp := handle(t, hook, goBack); code != http.StatusAccepted || resp.Execution != "DATA-4711-r3" {
		t.Errorf("A signed anew = %d %+v, want 202 DATA-4711-r3", code, resp)
	}
	code, resp = handle(t, hook, goBack)
	want := webhook.Response{Execution: "DATA-4711-r3", Duplicate: true, Reason: webhook.ReplayReason("DATA-4711-r3", webhook.ExecutionStatus{Status: "RUNNING"}, false)}
	if diff := cmp.Diff(want, resp); code != http.StatusOK || diff != "" {
		t.Errorf("retry of A signed anew = %d, want 200; response (-want +got):\n%s", code, diff)
	}
	if n := states.startCount(); n != 3 {
		t.Errorf("%d executions started in all, want 3", n)
	}
}

// TestWebhookReplayPending sends a delivery whose replay record another
// delivery reserved and never settled, as when that function instance
// stopped. The record lasts until the signature is no longer valid, so
// the 409 must also give the way to send the request anew.
// checkStale checks the 409 response to a delivery signed before the
// ticket's latest one. The response names blocking, the execution of the
// latest delivery, and no started execution, and advises to sign the
// request again.
func checkStale(t *testing.T, step string, code int, resp webhook.Response, blocking string) {
	t.Helper()
	if code != http.StatusConflict {
		t.Errorf("%s: status = %d, want 409 (body %+v)", step, code, resp)
	}
	checkRejectedBy(t, step, resp, blocking)
	if !strings.Contains(resp.Error, webhook.HeaderTimestamp) {
		t.Errorf("%s: error = %q, want advice to sign again in %s", step, resp.Error, webhook.HeaderTimestamp)
	}
}

func TestWebhookReplayPending(t *testing.T) {
	hook, states := newWebhook(t)
	event := signedEvent(readExample(t), secret, now)
	header := http.Header{}
	for name, value := range event.Headers {
		header.Set(name, value)
	}
	key, until := webhook.RequestReplay(header, []byte(event.Body))
	if _, reserved, err := hook.Deliveries.ReserveReplay(context.Background(), "DATA-4711", key, until); err != nil || !reserved {
		t.Fatalf("reserve = %t, %v; want reserved", reserved, err)
	}

	code, resp := handle(t, hook, event)
	if code != http.StatusConflict {
		t.Errorf("status = %d, want 409", code)
	}
	if resp.Execution != "" {
		t.Errorf("execution = %q, want none", resp.Execution)
	}
	if !strings.Contains(resp.Error, webhook.HeaderTimestamp) {
		t.Errorf("error = %q, want advice to sign again in %s", resp.Error, webhook.HeaderTimestamp)
	}
	if n := states.startCount(); n != 0 {
		t.Errorf("%d executions started, want none", n)
	}
}

// TestWebhookReplayOfStoppedRun repeats a delivery whose execution was
// stopped since, and then signs it again. Neither starts anything, and
// both reasons advise a redrive or a teardown, with the text of the other
// front ends.
func TestWebhookReplayOfStoppedRun(t *testing.T) {
	hook, states := newWebhook(t)
	body := readExample(t)
	event := signedEvent(body, secret, now)
	if code, resp := handle(t, hook, event); code != http.StatusAccepted || resp.Execution != "DATA-4711" {
		t.Fatalf("first delivery = %d %+v, want 202 DATA-4711", code, resp)
	}
	states.abort("DATA-4711")

	code, resp := handle(t, hook, event)
	want := webhook.Response{Execution: "DATA-4711", Duplicate: true, Reason: webhook.ReplayReason("DATA-4711", webhook.ExecutionStatus{Status: "ABORTED"}, false)}
	if diff := cmp.Diff(want, resp); code != http.StatusOK || diff != "" {
		t.Errorf("replay = %d, want 200; response (-want +got):\n%s", code, diff)
	}

	code, resp = handle(t, hook, signedEvent(body, secret, now.Add(2*time.Second)))
	want = webhook.Response{Execution: "DATA-4711", Duplicate: true, Reason: webhook.StoppedRunAdvice("DATA-4711", webhook.ExecutionStatus{Status: "ABORTED"}, false)}
	if diff := cmp.Diff(want, resp); code != http.StatusOK || diff != "" {
		t.Errorf("delivery signed again = %d, want 200; response (-want +got):\n%s", code, diff)
	}
	if !strings.Contains(resp.Reason, "redrive DATA-4711") {
		t.Errorf("reason of the delivery signed again lacks the redrive: %s", resp.Reason)
	}
	if n := states.startCount(); n != 1 {
		t.Errorf("%d executions started, want 1", n)
	}
}
