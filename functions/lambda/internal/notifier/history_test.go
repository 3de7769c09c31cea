package notifier

import (
	"context"
	"errors"
	"testing"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

// contextHistory serves one page of history, failing like the SDK with
// the context's error when the caller's context has ended.
type contextHistory struct {
	calls int
}

func (h *contextHistory) DescribeExecution(context.Context, string) (sfn.Execution, error) {
	return sfn.Execution{}, errors.New("not served")
}

func (h *contextHistory) GetExecutionHistory(ctx context.Context, _ string, _ sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	h.calls++
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	return []sfn.HistoryEvent{{Type: "ExecutionFailed"}}, "", nil
}

func TestHistoryReadAfterCallerTimeout(t *testing.T) {
	executions := &contextHistory{}
	h := newHistory(executions, "arn:aws:states:us-west-2:123456789012:execution:provision:DATA-1")

	// The release reads under its own deadline, which has passed here.
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := h.event(expired, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("event with an ended context: error %v, want %v", err, context.Canceled)
	}

	// The notification then reads with the invocation's context.
	ev, ok, err := h.event(context.Background(), 0)
	if err != nil {
		t.Fatalf("event after the earlier caller's context ended: %v", err)
	}
	if !ok || ev.Type != "ExecutionFailed" {
		t.Errorf("event = %+v, %v, want ExecutionFailed", ev, ok)
	}
	if executions.calls != 2 {
		t.Errorf("GetExecutionHistory calls = %d, want 2", executions.calls)
	}
}

func TestHistoryKeepsServiceError(t *testing.T) {
	executions := &failingHistory{}
	h := newHistory(executions, "arn:aws:states:us-west-2:123456789012:execution:provision:DATA-1")
	for range 2 {
		if _, _, err := h.event(context.Background(), 0); err == nil {
			t.Fatal("event with a failing service: no error")
		}
	}
	if executions.calls != 1 {
		t.Errorf("GetExecutionHistory calls = %d, want 1, because a service error is kept", executions.calls)
	}
}

// failingHistory fails every history read with a service error.
type failingHistory struct {
	calls int
}

func (h *failingHistory) DescribeExecution(context.Context, string) (sfn.Execution, error) {
	return sfn.Execution{}, errors.New("not served")
}

func (h *failingHistory) GetExecutionHistory(context.Context, string, sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error) {
	h.calls++
	return nil, "", errors.New("AccessDeniedException: not authorized to perform states:GetExecutionHistory")
}
