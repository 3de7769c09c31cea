package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

// Bounds on reading an execution's history. A page holds at most 1,000
// events, and a Standard workflow's history at most 25,000 (Step Functions
// service quotas).
const (
	historyPageSize = 100
	historyMaxPages = 25_000 / historyPageSize
)

// history reads an execution's events newest first, one page at a time
// and only as far as a caller needs. It keeps the events it read, so that
// the notification fields and the reservation release share the calls.
type history struct {
	executions Executions
	arn        string
	events     []sfn.HistoryEvent
	next       string
	pages      int
	// complete is set once the last page is read.
	complete bool
	// err is the error of a read that Step Functions failed, which later
	// reads return without calling it again. A read that failed because
	// its caller's context ended is not kept, because the release reads
	// under a shorter deadline than the notification.
	err error
}

func newHistory(executions Executions, arn string) *history {
	return &history{executions: executions, arn: arn}
}

// event returns the i-th newest event, reading pages until it is read. ok
// is false when the history has no more than i events.
func (h *history) event(ctx context.Context, i int) (ev sfn.HistoryEvent, ok bool, err error) {
	for i >= len(h.events) && !h.complete {
		if err := h.readPage(ctx); err != nil {
			return sfn.HistoryEvent{}, false, err
		}
	}
	if i >= len(h.events) {
		return sfn.HistoryEvent{}, false, nil
	}
	return h.events[i], true, nil
}

func (h *history) readPage(ctx context.Context) error {
	if h.err != nil {
		return h.err
	}
	if h.pages == historyMaxPages {
		h.err = fmt.Errorf("the history of %s has more than %d events", h.arn, len(h.events))
		return h.err
	}
	opts := sfn.HistoryOptions{MaxResults: historyPageSize, NextToken: h.next, ReverseOrder: true}
	events, next, err := h.executions.GetExecutionHistory(ctx, h.arn, opts)
	if err != nil {
		if ctx.Err() == nil {
			h.err = err
		}
		return err
	}
	h.events = append(h.events, events...)
	h.next = next
	h.pages++
	h.complete = next == ""
	return nil
}

// enteredStates yields the state of each StateEntered event, newest first
// and including those before a redrive, or the error of a failed read.
func (h *history) enteredStates(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for i := 0; ; i++ {
			ev, ok, err := h.event(ctx, i)
			if err != nil {
				yield("", err)
				return
			}
			if !ok {
				return
			}
			if !strings.HasSuffix(ev.Type, "StateEntered") {
				continue
			}
			if !yield(stateName(ev), nil) {
				return
			}
		}
	}
}

// stateName returns the state that a StateEntered event names.
func stateName(ev sfn.HistoryEvent) string {
	var details struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(ev.Details, &details)
	return details.Name
}
