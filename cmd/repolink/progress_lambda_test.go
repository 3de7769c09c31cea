package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// TestProgressLambdaFunctionFailure checks that a failed attempt shows the
// same line whether the history records it as TaskFailed or, for a Lambda
// function ARN, as LambdaFunctionFailed.
func TestProgressLambdaFunctionFailure(t *testing.T) {
	for _, typ := range []string{"TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut"} {
		t.Run(typ, func(t *testing.T) {
			var out bytes.Buffer
			p := newProgress(&out)
			p.begin("LF-1", "sandbox")
			details, err := json.Marshal(map[string]string{"error": "Broken", "cause": "the endpoint check failed"})
			if err != nil {
				t.Fatal(err)
			}
			p.event(engine.Event{Execution: "LF-1", Type: "TaskStateEntered", State: "AwaitEndpoint", Timestamp: time.Now()})
			p.event(engine.Event{Execution: "LF-1", Type: typ, State: "AwaitEndpoint", Timestamp: time.Now(), Details: details})

			got := out.String()
			if !strings.Contains(got, "Broken: the endpoint check failed") {
				t.Errorf("output lacks the failed attempt of %s:\n%s", typ, got)
			}
		})
	}
}
