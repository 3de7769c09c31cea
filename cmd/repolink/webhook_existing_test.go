package main

import (
	"net/http"
	"testing"
)

// TestWebhookRequestRunningFromAPI sends POST /v1/requests a request that
// an execution started through the Step Functions API still runs. The
// delivery starts nothing, so it must get 200 with that execution, as a
// duplicate delivery does, and not the 202 of a started execution.
func TestWebhookRequestRunningFromAPI(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "T-50")
	if err := s.apiStart(provisionMachine, "T-50e", req); err != nil {
		t.Fatalf("StartExecution T-50e: %v", err)
	}
	post := newWebhookPoster(t, s, req)

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
