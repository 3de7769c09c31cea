package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
)

// TestWebhookRequestDuringAndAfterTeardown sends one unchanged request to
// POST /v1/requests of the service while a teardown of the request runs.
// That must be a conflict that names the teardown. Once the teardown has
// closed, the same request must start a new run.
func TestWebhookRequestDuringAndAfterTeardown(t *testing.T) {
	s := newServedStore(t)
	post := newWebhookPoster(t, s, exampleRequest(t, "TD-1"))

	if code, resp := post(); code != http.StatusAccepted || resp.Execution != "TD-1" {
		t.Fatalf("first delivery = %d %+v, want 202 TD-1", code, resp)
	}
	s.stop(t, "TD-1")
	s.start(t, teardownMachine, "TD-1-teardown", exampleRequest(t, "TD-1"))

	code, resp := post()
	if code != http.StatusConflict {
		t.Errorf("delivery during the teardown: status %d, want 409; body %+v", code, resp)
	}
	if resp.BlockingExecution != "TD-1-teardown" || resp.Execution != "" || resp.Status != webhook.StatusRejected {
		t.Errorf("delivery during the teardown: response %+v, want status %s naming TD-1-teardown only under blocking_execution",
			resp, webhook.StatusRejected)
	}
	if !strings.Contains(resp.Error, "teardown TD-1-teardown of request TD-1 is still running") {
		t.Errorf("delivery during the teardown: error %q does not name the running teardown", resp.Error)
	}
	s.assertAbsent(t, "TD-1-r2")

	s.stop(t, "TD-1-teardown")
	code, resp = post()
	if code != http.StatusAccepted || resp.Execution != "TD-1-r2" {
		t.Errorf("delivery after the teardown = %d %+v, want 202 TD-1-r2", code, resp)
	}
	code, resp = post()
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "TD-1-r2" {
		t.Errorf("redelivery after the teardown = %d %+v, want 200 duplicate of TD-1-r2", code, resp)
	}
}

// newWebhookPoster serves POST /v1/requests of the service over the
// executions in s. The function it returns delivers req, signed, and
// returns the status code and the decoded response.
func newWebhookPoster(t *testing.T, s *servedStore, req request.Request) func() (int, webhook.Response) {
	t.Helper()
	mux, secret := newWebhookMux(t, s)

	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	// Each call is a new delivery, signed a second later than the one
	// before. The webhook treats a repeat of the same timestamp and body
	// as a replay, and rejects a new delivery signed before the ticket's
	// latest accepted one.
	sent := 0
	return func() (int, webhook.Response) {
		t.Helper()
		signedAt := time.Now().Add(time.Duration(sent) * time.Second)
		sent++
		return serveSigned(t, mux, secret, body, signedAt)
	}
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

// serveSigned sends body to POST /v1/requests of mux, signed with secret
// at signedAt, and returns the status code and the decoded response.
func serveSigned(t *testing.T, mux *http.ServeMux, secret, body []byte, signedAt time.Time) (int, webhook.Response) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/requests", bytes.NewReader(body))
	webhook.SetSignature(r.Header, secret, signedAt, body)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var resp webhook.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response body %q is not JSON: %v", w.Body.String(), err)
	}
	return w.Code, resp
}
