package notifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/workflow"
)

// executions is a Step Functions fake that returns one input per ARN.
type executions struct {
	inputs map[string]json.RawMessage
	calls  []string
}

func (e *executions) DescribeExecution(_ context.Context, arn string) (sfn.Execution, error) {
	e.calls = append(e.calls, arn)
	input, ok := e.inputs[arn]
	if !ok {
		return sfn.Execution{}, sfn.ErrExecutionNotFound
	}
	return sfn.Execution{ARN: arn, Input: input}, nil
}

// withoutInput removes the input from an event, as EventBridge does for an
// input above its size limit.
func withoutInput(t *testing.T, event json.RawMessage) json.RawMessage {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(event, &doc); err != nil {
		t.Fatal(err)
	}
	detail := doc["detail"].(map[string]any)
	delete(detail, "input")
	detail["inputDetails"] = map[string]any{"included": false}
	return json.RawMessage(mustJSON(t, doc))
}

func TestHandleDescribesMissingInput(t *testing.T) {
	r := newReceiver(t, http.StatusOK)
	req := baseRequest(t, r.URL+"/hooks/repolink")
	fake := &executions{inputs: map[string]json.RawMessage{
		executionARN: json.RawMessage(mustJSON(t, workflow.Document{Request: req})),
	}}
	n := r.notifier(secret)
	n.Executions = fake

	out, err := n.Handle(context.Background(), withoutInput(t, statusEvent(t, req, "SUCCEEDED", `{}`, "", "")))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var result notifier.Result
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("result %s: %v", out, err)
	}
	if !result.Delivered {
		t.Errorf("result = %+v, want delivered", result)
	}
	if len(fake.calls) != 1 || fake.calls[0] != executionARN {
		t.Errorf("DescribeExecution calls = %v, want one for %s", fake.calls, executionARN)
	}
	if len(r.got) != 1 || r.got[0].RequestID != "DATA-4711" {
		t.Errorf("notifications = %+v, want one for DATA-4711", r.got)
	}
}

func TestHandleMissingInputNotFound(t *testing.T) {
	r := newReceiver(t, http.StatusOK)
	n := r.notifier(secret)
	n.Executions = &executions{}

	_, err := n.Handle(context.Background(), withoutInput(t, statusEvent(t, baseRequest(t, r.URL), "FAILED", "", "States.TaskFailed", "x")))
	if !errors.Is(err, sfn.ErrExecutionNotFound) {
		t.Errorf("error = %v, want ErrExecutionNotFound", err)
	}
	if err != nil && !strings.Contains(err.Error(), "DATA-4711") {
		t.Errorf("error %q does not name the execution", err)
	}
}
