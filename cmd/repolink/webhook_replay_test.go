package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
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
	headers := http.Header{}
	webhook.SetSignature(headers, secret, time.Now(), body)
	post := func() (int, webhook.Response) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/v1/requests", bytes.NewReader(body))
		r.Header = headers.Clone()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		var resp webhook.Response
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response body %q is not JSON: %v", w.Body.String(), err)
		}
		return w.Code, resp
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
	if !resp.Duplicate || resp.Execution != "RP-1" || resp.Reason != webhook.ReplayReason("RP-1", "ABORTED", true) {
		t.Errorf("replay after the teardown: response %+v, want a duplicate naming RP-1 with the replay reason", resp)
	}
	s.assertAbsent(t, "RP-1-r2")
}

// newWebhookMux serves the webhook of repolink up on the executions of s,
// with a webhook store in s's directory, and returns it with its secret.
func newWebhookMux(t *testing.T, s *servedStore) (*http.ServeMux, []byte) {
	t.Helper()
	store, err := sqlitestore.Open(filepath.Join(s.dir, "webhook.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rt := &runtime{dir: s.dir, engine: s.eng, logger: slog.New(slog.DiscardHandler)}
	secret := []byte("webhook-test-secret")
	hook, err := webhook.New(webhook.Config{Secret: secret, Executions: &serviceExecutions{rt: rt}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	hook.Register(mux)
	return mux, secret
}
