package notifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/workflow"
)

// executions is a Step Functions fake that returns one input and one
// history, oldest event first, per ARN.
type executions struct {
	inputs  map[string]json.RawMessage
	history map[string][]sfn.HistoryEvent
	// historyErr fails every history read.
	historyErr   error
	calls        []string
	historyCalls []string
}

// GetExecutionHistory returns the history in pages of opts.MaxResults
// events, with the page's start index as the next token.
func (e *executions) GetExecutionHistory(_ context.Context, arn string, opts sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	e.historyCalls = append(e.historyCalls, arn)
	if e.historyErr != nil {
		return nil, "", e.historyErr
	}
	events := slices.Clone(e.history[arn])
	if opts.ReverseOrder {
		slices.Reverse(events)
	}
	start := 0
	if opts.NextToken != "" {
		start, _ = strconv.Atoi(opts.NextToken)
	}
	end := min(start+opts.MaxResults, len(events))
	next := ""
	if end < len(events) {
		next = strconv.Itoa(end)
	}
	return events[start:end], next, nil
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

// stoppedHistory returns the history of a run that entered each state in
// turn, retried the last one retries times and then stopped.
func stoppedHistory(retries int, states ...string) []sfn.HistoryEvent {
	var events []sfn.HistoryEvent
	add := func(eventType, details string) {
		events = append(events, sfn.HistoryEvent{ID: int64(len(events) + 1), Type: eventType, Details: json.RawMessage(details)})
	}
	add("ExecutionStarted", `{}`)
	for i, state := range states {
		if i > 0 {
			add("TaskStateExited", `{"name":"`+states[i-1]+`"}`)
		}
		add("TaskStateEntered", `{"name":"`+state+`"}`)
	}
	for range retries {
		add("TaskScheduled", `{"resource":"invoke"}`)
		add("TaskStarted", `{}`)
		add("TaskFailed", `{"error":"NotReady"}`)
	}
	add("ExecutionAborted", `{}`)
	return events
}

func TestHandleStoppedRunNamesStep(t *testing.T) {
	r := newReceiver(t, http.StatusOK)
	req := baseRequest(t, r.URL+"/hooks/repolink")
	tests := []struct {
		name     string
		event    json.RawMessage
		history  []sfn.HistoryEvent
		wantStep string
	}{
		{"aborted", statusEvent(t, req, "ABORTED", "", "", ""), stoppedHistory(0, "Preflight", "ProxyVM"), "proxy_vm"},
		{"timed out", statusEvent(t, req, "TIMED_OUT", "", "States.Timeout", "execution timed out"),
			stoppedHistory(0, "Preflight", "AwaitEndpoint"), "await_endpoint"},
		// An intrinsic function that failed in a ResultSelector prefixes the
		// cause with its own name, which names no step.
		{"intrinsic failed", statusEvent(t, req, "FAILED", "", "States.Runtime", "States.Base64Encode: argument 1: path $.endpoint_state: no results"),
			stoppedHistory(0, "Preflight", "AwaitEndpoint"), "await_endpoint"},
		// 150 retries put the state entered more than one page back.
		{"many retries", statusEvent(t, req, "ABORTED", "", "", ""), stoppedHistory(150, "Preflight", "LoadBalancer"), "load_balancer"},
		{"teardown aborted", teardownStatusEvent(t, statusEvent(t, req, "ABORTED", "", "", "")),
			stoppedHistory(0, "TeardownSnowflake", "TeardownProxyVM"), "teardown_proxy_vm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.got = nil
			fake := &executions{history: map[string][]sfn.HistoryEvent{executionARN: tt.history}}
			n := r.notifier(secret)
			n.Executions = fake

			if _, err := n.Handle(context.Background(), tt.event); err != nil {
				t.Fatalf("Handle: %v", err)
			}

			if len(r.got) != 1 {
				t.Fatalf("receiver got %d notifications, want 1", len(r.got))
			}
			if r.got[0].FailedStep != tt.wantStep {
				t.Errorf("failed step = %q, want %q", r.got[0].FailedStep, tt.wantStep)
			}
		})
	}
}

func TestHandleFailedStepFromCause(t *testing.T) {
	r := newReceiver(t, http.StatusOK)
	req := baseRequest(t, r.URL+"/hooks/repolink")
	// The history's last state entered is not the step that the cause
	// names, so the cause must win.
	fake := &executions{history: map[string][]sfn.HistoryEvent{executionARN: stoppedHistory(0, "Preflight", "ProxyVM")}}
	n := r.notifier(secret)
	n.Executions = fake

	if _, err := n.Handle(context.Background(), statusEvent(t, req, "FAILED", "", "Rejected", "connection: rejected")); err != nil {
		t.Fatalf("Handle: %v", err)
	}

	if len(r.got) != 1 || r.got[0].FailedStep != "connection" {
		t.Errorf("notifications = %+v, want one with failed step connection", r.got)
	}
}

func TestHandleStoppedRunListsResources(t *testing.T) {
	r := newReceiver(t, http.StatusOK)
	req := baseRequest(t, r.URL+"/hooks/repolink")
	built := `{"proxy_vm":{"action":"created","id":"i-0123"},"target_group":{"action":"created","id":"arn:tg"}}`
	history := []sfn.HistoryEvent{
		{ID: 1, Type: "ExecutionStarted", Details: json.RawMessage(`{"input":{"request":{}}}`)},
		{ID: 2, Type: "TaskStateExited", Details: json.RawMessage(`{"name":"ProxyVM","output":{"request":{},"resources":{"proxy_vm":{"action":"created","id":"i-0123"}}}}`)},
		{ID: 3, Type: "TaskStateEntered", Details: json.RawMessage(`{"name":"TargetGroup"}`)},
		{ID: 4, Type: "TaskSucceeded", Details: json.RawMessage(`{"output":{"action":"created","id":"arn:tg"}}`)},
		{ID: 5, Type: "TaskStateExited", Details: json.RawMessage(`{"name":"TargetGroup","output":{"request":{},"resources":` + built + `}}`)},
		{ID: 6, Type: "TaskStateEntered", Details: json.RawMessage(`{"name":"LoadBalancer"}`)},
		{ID: 7, Type: "ExecutionAborted", Details: json.RawMessage(`{}`)},
	}
	n := r.notifier(secret)
	n.Executions = &executions{history: map[string][]sfn.HistoryEvent{executionARN: history}}

	if _, err := n.Handle(context.Background(), statusEvent(t, req, "ABORTED", "", "", "")); err != nil {
		t.Fatalf("Handle: %v", err)
	}

	if len(r.got) != 1 {
		t.Fatalf("receiver got %d notifications, want 1", len(r.got))
	}
	got := r.got[0]
	if got.FailedStep != "load_balancer" {
		t.Errorf("failed step = %q, want load_balancer", got.FailedStep)
	}
	if string(got.Resources) != built {
		t.Errorf("resources = %s, want %s", got.Resources, built)
	}
	wantTeardown := ", or run 'aws stepfunctions start-execution --state-machine-arn arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown " +
		"--input file://input.json' with this execution's input in input.json to remove what it built"
	if !strings.HasSuffix(got.Next, wantTeardown) {
		t.Errorf("next = %q, want it to end with %q", got.Next, wantTeardown)
	}
}

func TestHandleHistoryErrorStillNotifies(t *testing.T) {
	r := newReceiver(t, http.StatusOK)
	req := baseRequest(t, r.URL+"/hooks/repolink")
	n := r.notifier(secret)
	n.Executions = &executions{historyErr: errors.New("access denied")}

	out, err := n.Handle(context.Background(), statusEvent(t, req, "ABORTED", "", "", ""))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}

	if !strings.Contains(string(out), `"delivered":true`) {
		t.Errorf("Handle output = %s, want delivered", out)
	}
	if len(r.got) != 1 || r.got[0].FailedStep != "unknown" {
		t.Errorf("notifications = %+v, want one with failed step unknown", r.got)
	}
}

func TestHandleEventWithoutExecutionARN(t *testing.T) {
	tests := []struct {
		name  string
		event string
	}{
		{"empty detail", `{"source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{}}`},
		{"closed run", `{"source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{"status":"FAILED","name":"DATA-1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &executions{}
			n := &notifier.Notifier{Secret: func(context.Context) ([]byte, error) { return []byte("k"), nil }, Executions: fake}

			_, err := n.Handle(context.Background(), json.RawMessage(tt.event))
			if err == nil {
				t.Fatal("Handle returned no error, want InvalidRequest")
			}
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Errorf("error name = %q, want %q (error %v)", got, workflow.ErrInvalidRequest, err)
			}
			if !strings.Contains(err.Error(), "detail.executionArn") {
				t.Errorf("error %q does not name detail.executionArn", err)
			}
			if len(fake.calls) != 0 {
				t.Errorf("DescribeExecution calls = %q, want none", fake.calls)
			}
			if len(fake.historyCalls) != 0 {
				t.Errorf("GetExecutionHistory calls = %q, want none", fake.historyCalls)
			}
		})
	}
}
