package sfnapi

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/engine"
)

// detailsField returns the HistoryEvent member that holds the details of
// an event type, such as taskScheduledEventDetails.
func detailsField(typ string) string {
	switch {
	case strings.HasSuffix(typ, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(typ, "StateExited"):
		return "stateExitedEventDetails"
	}
	return strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
}

// withoutDetails lists the event types whose HistoryEvent has no details
// member in Step Functions.
var withoutDetails = map[string]bool{
	"ParallelStateStarted": true, "ParallelStateSucceeded": true, "ParallelStateFailed": true,
	"MapStateSucceeded": true, "MapStateFailed": true,
	"LambdaFunctionStarted": true,
}

// dataFields are the detail fields that Step Functions sends as JSON text
// rather than as JSON values, each with the member that reports whether
// the text was truncated.
var dataFields = map[string]string{
	"input":      "inputDetails",
	"output":     "outputDetails",
	"parameters": "",
}

// historyEvent converts an engine event into the Step Functions
// HistoryEvent shape. Inputs, outputs and parameters become JSON text,
// left out when includeData is false. input is the execution input as
// given, which ExecutionStarted shows.
func historyEvent(ev engine.Event, input json.RawMessage, includeData bool) (map[string]any, error) {
	out := map[string]any{
		"id":        ev.ID,
		"type":      ev.Type,
		"timestamp": epochSeconds(ev.Timestamp),
	}
	// NOTE: previousEventId is the event before this one in the
	// execution, which is close to but not always what Step Functions
	// reports for events of Parallel branches and Map iterations.
	if ev.ID > 1 {
		out["previousEventId"] = ev.ID - 1
	}
	if withoutDetails[ev.Type] {
		return out, nil
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(ev.Details, &fields); err != nil {
		return nil, fmt.Errorf("decode details of event %d of %s: %w", ev.ID, ev.Execution, err)
	}
	details := map[string]any{}
	for k, v := range fields {
		flag, isData := dataFields[k]
		switch {
		case !isData:
			details[k] = v
		case includeData:
			details[k] = string(v)
			if flag != "" {
				details[flag] = map[string]bool{"truncated": false}
			}
		}
	}
	if ev.Type == "ExecutionStarted" {
		// The engine records the machine name, where Step Functions
		// records the role ARN.
		delete(details, "stateMachine")
		// The event holds the input encoded again, but the execution holds
		// it as given.
		if includeData {
			details["input"] = string(input)
		}
	}
	out[detailsField(ev.Type)] = details
	return out, nil
}
