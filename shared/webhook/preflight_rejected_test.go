package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/workflow"
)

// rejectedInPreflight is the status of a run that preflight rejected.
var rejectedInPreflight = ExecutionStatus{Status: "FAILED", Error: "InvalidRequest", FailedStep: "preflight"}

// checkNoTeardownOrRedrive fails the test when reason advises a teardown
// or a redrive, which a run that built nothing does not need.
func checkNoTeardownOrRedrive(t *testing.T, reason string) {
	t.Helper()
	for _, unwanted := range []string{"tear down the request", "redrive DATA", "Redrive DATA", "may have built"} {
		if strings.Contains(reason, unwanted) {
			t.Errorf("reason advises %q: %s", unwanted, reason)
		}
	}
}

func TestPreflightStepName(t *testing.T) {
	if step, ok := execview.ProvisionStep(workflow.PreflightState); !ok || step != preflightStep {
		t.Errorf("task of state %s = %q, %v; want %q", workflow.PreflightState, step, ok, preflightStep)
	}
}

func TestJiraRedeliveryAfterPreflightRejection(t *testing.T) {
	svc, body, headers := startJiraTicket(t)
	svc.execs.setStatus("DATA-4711", rejectedInPreflight)

	code, resp := svc.post(t, "/v1/hooks/jira", body, headers)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "DATA-4711" || resp.Status != "FAILED" {
		t.Fatalf("redelivery = %d %+v, want 200 duplicate of the FAILED DATA-4711", code, resp)
	}
	for _, want := range []string{
		"preflight rejected this request in execution DATA-4711 with InvalidRequest",
		"nothing was built",
		"names the check that failed and the field of the request to change",
		"an update of the ticket with the change sends the changed request, which starts a new execution",
	} {
		if !strings.Contains(resp.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, resp.Reason)
		}
	}
	checkNoTeardownOrRedrive(t, resp.Reason)
}

func TestSignedRedeliveryAfterPreflightRejection(t *testing.T) {
	svc := newTestService(t)
	body := exampleRequest(t, nil)
	if code, _ := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow)); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}
	svc.execs.setStatus("DATA-4711", rejectedInPreflight)

	code, resp := svc.post(t, "/v1/requests", body, signed(body, testSecret, testNow.Add(2*time.Second)))
	if code != http.StatusOK || !resp.Duplicate || resp.Status != "FAILED" {
		t.Fatalf("new delivery = %d %+v, want 200 duplicate of the FAILED DATA-4711", code, resp)
	}
	if want := "a new delivery of the changed request starts a new execution"; !strings.Contains(resp.Reason, want) {
		t.Errorf("reason lacks %q: %s", want, resp.Reason)
	}
	if strings.Contains(resp.Reason, "ticket with the change") {
		t.Errorf("reason of a signed request advises a ticket update: %s", resp.Reason)
	}
	checkNoTeardownOrRedrive(t, resp.Reason)
}

func TestStoppedRunAdviceByFailedStep(t *testing.T) {
	tests := []struct {
		name            string
		run             ExecutionStatus
		teardown        bool
		redrive         bool
		preflightReject bool
	}{
		{name: "rejected in preflight", run: rejectedInPreflight, preflightReject: true},
		{name: "transient in preflight", run: ExecutionStatus{Status: "FAILED", Error: "Transient", FailedStep: "preflight"}, redrive: true},
		{name: "aborted in preflight", run: ExecutionStatus{Status: "ABORTED", FailedStep: "preflight"}, redrive: true},
		{name: "rejected in a building step", run: ExecutionStatus{Status: "FAILED", Error: "InvalidRequest", FailedStep: "secret"},
			teardown: true, redrive: true},
		{name: "step unknown", run: ExecutionStatus{Status: "FAILED", Error: "InvalidRequest"}, teardown: true, redrive: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			advice := StoppedRunAdvice("DATA-4711", tt.run, true)
			if got := strings.Contains(advice, "tear down the request"); got != tt.teardown {
				t.Errorf("advises a teardown = %v, want %v: %s", got, tt.teardown, advice)
			}
			if got := strings.Contains(strings.ToLower(advice), "redrive data-4711"); got != tt.redrive {
				t.Errorf("advises a redrive = %v, want %v: %s", got, tt.redrive, advice)
			}
			if got := strings.Contains(advice, "preflight rejected this request"); got != tt.preflightReject {
				t.Errorf("names the rejection = %v, want %v: %s", got, tt.preflightReject, advice)
			}
		})
	}
}

func TestJiraAfterTeardownOfPreflightRejection(t *testing.T) {
	svc, body, headers := startJiraTicket(t)
	svc.execs.setStatus("DATA-4711", rejectedInPreflight)
	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "SUCCEEDED")

	code, resp := svc.post(t, "/v1/hooks/jira", body, headers)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "DATA-4711" {
		t.Fatalf("delivery after the teardown = %d %+v, want 200 duplicate of DATA-4711", code, resp)
	}
	if resp.Status != "FAILED" {
		t.Errorf("status = %q, want FAILED, the status of the run that preflight rejected", resp.Status)
	}
	if resp.Teardown != "DATA-4711-teardown" || resp.TeardownStatus != "SUCCEEDED" {
		t.Errorf("teardown = %q %q, want DATA-4711-teardown SUCCEEDED", resp.Teardown, resp.TeardownStatus)
	}
	for _, want := range []string{
		"which is FAILED after it stopped in preflight with InvalidRequest",
		"So nothing was built, and teardown DATA-4711-teardown of the request, which has run since, removed nothing of it",
		"an update of the ticket with the change sends the changed request, which starts a new execution",
	} {
		if !strings.Contains(resp.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, resp.Reason)
		}
	}
	checkNoTeardownOrRedrive(t, resp.Reason)
	if got := svc.execs.starts.Load(); got != 1 {
		t.Errorf("executions started = %d, want 1", got)
	}
}
