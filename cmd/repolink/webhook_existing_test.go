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

// TestWebhookRequestRunningFromAPI sends POST /v1/requests a request that
// an execution started through the Step Functions API still runs. The
// delivery starts nothing, so it must get 200 with that execution, as a
// duplicate delivery does, and not the 202 of a started execution.
func TestWebhookRequestRunningFromAPI(t *testing.T) {
	s := newServedStore(t)
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

	req := exampleRequest(t, "T-50")
	if err := s.apiStart(provisionMachine, "T-50e", req); err != nil {
		t.Fatalf("StartExecution T-50e: %v", err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	post := func() (int, webhook.Response) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/v1/requests", bytes.NewReader(body))
		webhook.SetSignature(r.Header, secret, time.Now(), body)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		var resp webhook.Response
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response body %q is not JSON: %v", w.Body.String(), err)
		}
		return w.Code, resp
	}

	for _, delivery := range []string{"first delivery", "redelivery"} {
		code, resp := post()
		if code != http.StatusOK {
			t.Errorf("%s: status %d, want 200; body %+v", delivery, code, resp)
		}
		if resp.Execution != "T-50e" {
			t.Errorf("%s: execution %q, want T-50e", delivery, resp.Execution)
		}
		if resp.Status != "RUNNING" {
			t.Errorf("%s: status %q, want RUNNING", delivery, resp.Status)
		}
		if !resp.Duplicate {
			t.Errorf("%s: duplicate is false, want true", delivery)
		}
	}
	s.assertAbsent(t, "T-50")
	s.assertStatus(t, "T-50e", "RUNNING")
}
