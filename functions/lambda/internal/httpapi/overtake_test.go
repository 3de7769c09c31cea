package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/webhook"
)

// overtakingDeliveries runs overtake when the first delivery calls
// Deliver, which is after that delivery's stale check and before its
// execution starts. overtake may send deliveries of its own.
type overtakingDeliveries struct {
	httpapi.Deliveries
	overtake func()
}

func (o *overtakingDeliveries) Deliver(ctx context.Context, d dynamo.Delivery,
	start func(context.Context, []string) (string, error)) (dynamo.Outcome, error) {
	if overtake := o.overtake; overtake != nil {
		o.overtake = nil
		overtake()
	}
	return o.Deliveries.Deliver(ctx, d, start)
}

// TestWebhookOvertakenDelivery sends an older delivery, and a newer one
// of a changed request that starts and closes while the older one is
// between its stale check and its start. The older one must start
// nothing, get the stale 409 that names the newer execution, and leave
// the newer signed time.
func TestWebhookOvertakenDelivery(t *testing.T) {
	hook, states := newWebhook(t)
	store := hook.Deliveries.(*dynamo.Store)
	body := readExample(t)
	older := signedEvent(body, secret, now)
	newer := signedEvent([]byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1)), secret, now.Add(time.Second))

	var newerCode int
	var newerResp webhook.Response
	hook.Deliveries = &overtakingDeliveries{Deliveries: store, overtake: func() {
		newerCode, newerResp = handle(t, hook, newer)
		states.close("DATA-4711")
	}}
	code, resp := handle(t, hook, older)

	if newerCode != http.StatusAccepted || newerResp.Execution != "DATA-4711" {
		t.Errorf("newer delivery = %d %+v, want 202 DATA-4711", newerCode, newerResp)
	}
	checkStale(t, "older delivery", code, resp, "DATA-4711")
	if n := states.startCount(); n != 1 {
		t.Errorf("%d executions started, want 1", n)
	}
	at, execution, found, err := store.LatestSigned(context.Background(), "DATA-4711")
	if err != nil || !found {
		t.Fatalf("latest signed: found = %t, %v", found, err)
	}
	header := http.Header{}
	for name, value := range newer.Headers {
		header.Set(name, value)
	}
	if want := webhook.RequestSignedAt(header); !at.Equal(want) {
		t.Errorf("latest signed at %s, want %s of the newer delivery", at, want)
	}
	if execution != "DATA-4711" {
		t.Errorf("latest signed execution = %q, want DATA-4711", execution)
	}
}

// TestWebhookDeliveryBeforePendingNewer sends an older delivery while a
// newer one has claimed the ticket but not started its execution. The
// older one gets the stale 409 without an execution to name, and a retry
// after the newer one started names its execution.
func TestWebhookDeliveryBeforePendingNewer(t *testing.T) {
	hook, states := newWebhook(t)
	store := hook.Deliveries.(*dynamo.Store)
	body := readExample(t)
	older := signedEvent([]byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1)), secret, now)
	newer := signedEvent(body, secret, now.Add(time.Second))

	var olderCode int
	var olderResp webhook.Response
	hook.Deliveries = &overtakingDeliveries{Deliveries: store, overtake: func() {
		olderCode, olderResp = handle(t, hook, older)
	}}
	if code, resp := handle(t, hook, newer); code != http.StatusAccepted || resp.Execution != "DATA-4711" {
		t.Errorf("newer delivery = %d %+v, want 202 DATA-4711", code, resp)
	}

	if olderCode != http.StatusConflict {
		t.Errorf("older delivery: status = %d, want 409 (body %+v)", olderCode, olderResp)
	}
	if olderResp.BlockingExecution != "" {
		t.Errorf("older delivery: blocking_execution = %q, want none while the newer one has not started", olderResp.BlockingExecution)
	}
	if !strings.Contains(olderResp.Error, "still handling") {
		t.Errorf("older delivery: error = %q, want one that says the newer delivery is still being handled", olderResp.Error)
	}
	code, resp := handle(t, hook, older)
	if code != http.StatusConflict || resp.BlockingExecution != "DATA-4711" {
		t.Errorf("older delivery again = %d %+v, want 409 naming DATA-4711", code, resp)
	}
	if n := states.startCount(); n != 1 {
		t.Errorf("%d executions started, want 1", n)
	}
}
