package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

// TestWebhookStoppedRunAdvice stops the execution that a delivery of
// ticket W-10 started, in preflight, then repeats the delivery byte for
// byte and signs it again. Neither starts anything, and both reasons
// advise a redrive or a changed request but no teardown, because the run
// stopped before any step that builds.
func TestWebhookStoppedRunAdvice(t *testing.T) {
	s := newServedStore(t)
	mux, secret := newWebhookMux(t, s)

	body, err := json.Marshal(exampleRequest(t, "W-10"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(signedAt time.Time) (int, webhook.Response) {
		t.Helper()
		return serveSigned(t, mux, secret, body, signedAt)
	}

	signedAt := time.Now()
	if code, resp := post(signedAt); code != http.StatusAccepted || resp.Execution != "W-10" {
		t.Fatalf("first delivery = %d %+v, want 202 W-10", code, resp)
	}
	s.stop(t, "W-10")

	redrive := "Redrive W-10 to run preflight again"
	code, resp := post(signedAt)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "W-10" {
		t.Errorf("replay = %d %+v, want 200 duplicate of W-10", code, resp)
	}
	if !strings.Contains(resp.Reason, redrive) {
		t.Errorf("replay reason lacks %q: %s", redrive, resp.Reason)
	}
	if !strings.Contains(resp.Reason, "If the ticket ran another request since W-10, sign the request again") {
		t.Errorf("replay reason advises signing again without the condition under which that starts something: %s", resp.Reason)
	}

	code, resp = post(signedAt.Add(2 * time.Second))
	if code != http.StatusOK || !resp.Duplicate || resp.Status != "ABORTED" {
		t.Errorf("delivery signed again = %d %+v, want 200 duplicate of the ABORTED W-10", code, resp)
	}
	if !strings.Contains(resp.Reason, redrive) {
		t.Errorf("reason of the delivery signed again lacks %q: %s", redrive, resp.Reason)
	}
	if !strings.Contains(resp.Reason, "nothing was built and there is nothing to tear down") {
		t.Errorf("reason of the delivery signed again does not say that nothing was built: %s", resp.Reason)
	}
	if strings.Contains(resp.Reason, "tear down the request") {
		t.Errorf("reason of the delivery signed again advises a teardown of a run that built nothing: %s", resp.Reason)
	}
	if strings.Contains(resp.Reason, webhook.HeaderTimestamp) {
		t.Errorf("reason of the delivery signed again advises signing again, which starts nothing: %s", resp.Reason)
	}
	s.assertAbsent(t, "W-10-r2")
}
