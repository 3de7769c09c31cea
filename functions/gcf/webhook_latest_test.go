package gcf

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	executions "google.golang.org/api/workflowexecutions/v1"
)

// TestWebhookRequestAfterOutsideRun sends requests A, B and A, then
// starts B again through the Workflows API, outside the webhook. A signed
// again after that is not the request of the ticket's latest execution, so
// it must start a new execution instead of being a duplicate of the
// delivery that ran it before.
func TestWebhookRequestAfterOutsideRun(t *testing.T) {
	server, workflows := newTestWebhook(t, nil)
	first := exampleRequest(t, nil)
	changed := exampleRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"requests"}
	})

	for i, body := range [][]byte{first, changed, first} {
		want := fmt.Sprintf("exec-%d", i+1)
		if status, out := postSigned(t, server, testWebhookKey, body); status != http.StatusAccepted || out.Execution != want {
			t.Fatalf("delivery %d = %d %+v, want 202 %s", i+1, status, out, want)
		}
		workflows.finish("SUCCEEDED")
	}
	workflows.startOutside(workflows.started()[1])

	status, out := postSigned(t, server, testWebhookKey, first)
	if status != http.StatusAccepted {
		t.Errorf("first request after exec-4: status %d, want 202; body %+v", status, out)
	}
	if out.Execution != "exec-5" || out.Duplicate {
		t.Errorf("first request after exec-4: response %+v, want a new execution exec-5", out)
	}
	if n := len(workflows.started()); n != 5 {
		t.Errorf("%d executions started, want 5", n)
	}
}

// startOutside starts an execution with the argument and labels of x and
// closes it, as a start through the Workflows API would.
func (s *workflowsServer) startOutside(x *executions.Execution) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.executions) + 1
	s.executions = append(s.executions, &executions.Execution{
		Name:      fmt.Sprintf("%s/executions/exec-%d", testWorkflow, n),
		State:     "SUCCEEDED",
		Argument:  x.Argument,
		Labels:    x.Labels,
		StartTime: time.Date(2026, 1, 1, 0, n-1, 0, 0, time.UTC).Format(time.RFC3339Nano),
	})
}
