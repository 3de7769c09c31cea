package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

// TestWebhookReplayAfterTeardown sends a request to POST /v1/requests of
// the service, tears the request down, and then repeats the first
// delivery byte for byte, with the same timestamp and signature. The
// repeat must start nothing, where a new delivery of the same request
// would provision the repository again.
func TestWebhookReplayAfterTeardown(t *testing.T) {
	s := newServedStore(t)
	mux, secret := newWebhookMux(t, s)

	body, err := json.Marshal(exampleRequest(t, "RP-1"))
	if err != nil {
		t.Fatal(err)
	}
	signedAt := time.Now()
	post := func() (int, webhook.Response) {
		t.Helper()
		return serveSigned(t, mux, secret, body, signedAt)
	}

	if code, resp := post(); code != http.StatusAccepted || resp.Execution != "RP-1" {
		t.Fatalf("first delivery = %d %+v, want 202 RP-1", code, resp)
	}
	s.stop(t, "RP-1")
	s.start(t, teardownMachine, "RP-1-teardown", exampleRequest(t, "RP-1"))
	s.stop(t, "RP-1-teardown")

	code, resp := post()
	if code != http.StatusOK {
		t.Errorf("replay after the teardown: status %d, want 200; body %+v", code, resp)
	}
	if !resp.Duplicate || resp.Execution != "RP-1" || resp.Reason != webhook.ReplayReason("RP-1", webhook.ExecutionStatus{Status: "ABORTED"}, true) {
		t.Errorf("replay after the teardown: response %+v, want a duplicate naming RP-1 with the replay reason", resp)
	}
	s.assertAbsent(t, "RP-1-r2")
}
