package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// preflightRejection is the error of a preflight step that rejects the
// request, with the step name at the start of its message as the steps
// write it.
type preflightRejection struct{}

func (preflightRejection) Error() string {
	return "preflight: snowflake.role: role MISSING_ROLE does not exist"
}
func (preflightRejection) ErrorName() string { return "InvalidRequest" }

// TestWebhookPreflightRejectionAdvice delivers request W-20, lets its
// preflight reject it with InvalidRequest, and delivers it again. The
// second response must say that preflight rejected the request and that a
// changed request starts a new execution, and must advise neither a
// teardown nor a redrive, because nothing was built and a redrive fails
// the same way.
func TestWebhookPreflightRejectionAdvice(t *testing.T) {
	s := newServedStore(t)
	mux, secret := newWebhookMux(t, s)
	body, err := json.Marshal(exampleRequest(t, "W-20"))
	if err != nil {
		t.Fatal(err)
	}

	signedAt := time.Now()
	if code, resp := serveSigned(t, mux, secret, body, signedAt); code != http.StatusAccepted || resp.Execution != "W-20" {
		t.Fatalf("first delivery = %d %+v, want 202 W-20", code, resp)
	}
	s.eng.Register("preflight", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, preflightRejection{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.eng.Run(ctx) }()
	x, err := s.eng.Wait(ctx, "W-20")
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	if err != nil || x.Status != engine.StatusFailed || x.Error != "InvalidRequest" {
		t.Fatalf("W-20: status %q, error %q, %v; want FAILED with InvalidRequest", x.Status, x.Error, err)
	}

	code, resp := serveSigned(t, mux, secret, body, signedAt.Add(2*time.Second))
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "W-20" || resp.Status != engine.StatusFailed {
		t.Fatalf("second delivery = %d %+v, want 200 duplicate of the FAILED W-20", code, resp)
	}
	for _, want := range []string{"preflight rejected this request in execution W-20", "a new delivery of the changed request starts a new execution"} {
		if !strings.Contains(resp.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, resp.Reason)
		}
	}
	for _, unwanted := range []string{"tear down the request", "redrive W-20", "Redrive W-20"} {
		if strings.Contains(resp.Reason, unwanted) {
			t.Errorf("reason advises %q: %s", unwanted, resp.Reason)
		}
	}
	s.assertAbsent(t, "W-20-r2")
}
