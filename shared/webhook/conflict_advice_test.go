package webhook

import (
	"net/http"
	"strings"
	"testing"
)

// A ticket cannot change the request ID that its key gives, so the advice
// for a conflict that another ID avoids differs between the two endpoints.
func TestConflictAdviceByEndpoint(t *testing.T) {
	conflict := &ConflictError{Ticket: "DATA-4711", Execution: "DATA-4711", OtherID: true,
		Reason: "request DATA-4711 changes snowflake.account from execution DATA-4711 (SUCCEEDED)"}

	t.Run("ticket", func(t *testing.T) {
		svc := newTestService(t, exampleSource(t, "jira", nil))
		svc.execs.err = conflict
		body := payload(t, "jira-issue-updated.json")

		code, resp := svc.post(t, "/v1/hooks/jira", body, map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body)})

		if code != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %+v", code, resp)
		}
		if !strings.Contains(resp.Reason, "open a new ticket for the changed request") {
			t.Errorf("reason %q does not advise a new ticket", resp.Reason)
		}
		if strings.Contains(resp.Reason, "new id") {
			t.Errorf("reason %q advises a new id, which a ticket cannot take", resp.Reason)
		}
	})

	t.Run("signed request", func(t *testing.T) {
		svc := newTestService(t)
		svc.execs.err = conflict
		body := exampleRequest(t, nil)

		code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow))

		if code != http.StatusConflict {
			t.Fatalf("status = %d, want 409; body %+v", code, resp)
		}
		if !strings.HasSuffix(resp.Error, ", or give this request a new id") {
			t.Errorf("error %q does not advise a new id", resp.Error)
		}
		if strings.Contains(resp.Error, "ticket") {
			t.Errorf("error %q advises a ticket for a signed request", resp.Error)
		}
	})
}
