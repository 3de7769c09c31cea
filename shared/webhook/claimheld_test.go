package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// heldStore is a Store whose every delivery finds the claim of another
// process that expires at expiresAt.
type heldStore struct{ expiresAt time.Time }

func (s heldStore) Deliver(_ context.Context, d Delivery, _ func(context.Context) (string, error)) (Outcome, error) {
	return Outcome{}, &ClaimHeldError{Ticket: d.Ticket, ExpiresAt: s.expiresAt}
}

func TestRequestWebhookClaimHeld(t *testing.T) {
	tests := []struct {
		name      string
		expiresAt time.Time
		want      string
	}{
		{name: "claim expires soon", expiresAt: testNow.Add(2500 * time.Millisecond), want: "3"},
		{name: "claim expires late", expiresAt: testNow.Add(2 * time.Minute), want: "30"},
		{name: "claim expired meanwhile", expiresAt: testNow.Add(-time.Second), want: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(Config{Secret: testSecret, Executions: &fakeExecutions{}, Store: heldStore{tt.expiresAt},
				Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			h.Register(mux)

			body := exampleRequest(t, nil)
			r := httptest.NewRequest(http.MethodPost, "/v1/requests", bytes.NewReader(body))
			for k, v := range signed(body, testSecret, testNow) {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)

			if w.Code != http.StatusServiceUnavailable {
				t.Errorf("status = %d, want 503; body %s", w.Code, w.Body.String())
			}
			if got := w.Header().Get("Retry-After"); got != tt.want {
				t.Errorf("Retry-After = %q, want %q", got, tt.want)
			}
			var resp Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Error, "send it again after "+tt.want+" seconds") {
				t.Errorf("error %q does not say when to send the delivery again", resp.Error)
			}
		})
	}
}
