package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/storehealth"
)

// TestHealthzUnwritableStore checks that /healthz responds 503 with the
// reason while the state store rejects writes, and 200 again once writes
// succeed.
func TestHealthzUnwritableStore(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	health := storehealth.New("/srv/repolink", storehealth.Options{Now: func() time.Time { return now }})
	mux := http.NewServeMux()
	api := &operationsAPI{health: health, listen: "127.0.0.1:8080", logger: slog.New(slog.DiscardHandler)}
	api.register(mux)
	get := func() (int, map[string]string) {
		t.Helper()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("healthz body %q: %v", w.Body.String(), err)
		}
		return w.Code, body
	}

	if code, _ := get(); code != http.StatusOK {
		t.Errorf("healthz before any failure = %d, want 200", code)
	}

	health.Record(fmt.Errorf("take runner lease: %w", syscall.ENOSPC))
	code, body := get()
	if code != http.StatusServiceUnavailable {
		t.Errorf("healthz on a full store = %d, want 503", code)
	}
	if !strings.Contains(body["error"], "full") {
		t.Errorf("healthz error %q does not say that the store is full", body["error"])
	}
	if strings.Contains(body["error"], "/srv/repolink") {
		t.Errorf("healthz error %q shows the state directory without authentication", body["error"])
	}

	now = now.Add(time.Minute)
	health.Record(nil)
	if code, body := get(); code != http.StatusOK {
		t.Errorf("healthz after writes succeed again = %d %v, want 200", code, body)
	}

	now = now.Add(time.Minute)
	health.Record(fmt.Errorf("commit transaction: %w", syscall.EFBIG))
	code, body = get()
	if code != http.StatusServiceUnavailable {
		t.Errorf("healthz at the file size limit = %d, want 503", code)
	}
	if !strings.Contains(body["error"], "file size limit") {
		t.Errorf("healthz error %q does not name the file size limit", body["error"])
	}
	if strings.Contains(body["error"], "is full") {
		t.Errorf("healthz error %q calls a store at the file size limit full", body["error"])
	}
}
