package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// TestProgressAwaitEndpointReport checks that the progress line of the
// endpoint wait says "live" only for the poller's live report, because the
// state machine waits again on any other task result.
func TestProgressAwaitEndpointReport(t *testing.T) {
	for _, tt := range []struct {
		name   string
		report any
		want   string
	}{
		{"live", map[string]any{"endpoint_state": "CREATED", "status": "Available"}, "live      Available"},
		{"bogus status", map[string]any{"endpoint_state": "DELETED", "status": "Bogus"}, "not live  the task result is not the poller's report of a live endpoint; waiting again"},
		{"lower case", map[string]any{"endpoint_state": "CREATED", "status": "available"}, "not live"},
		{"number state", map[string]any{"endpoint_state": 1, "status": "Available"}, "not live"},
		{"string", "live", "not live"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newProgress(&out)
			p.begin("AW-1", "sandbox")
			details, err := json.Marshal(map[string]any{
				"output": map[string]any{"resources": map[string]any{"endpoint_live": tt.report}},
			})
			if err != nil {
				t.Fatal(err)
			}
			p.event(engine.Event{Execution: "AW-1", Type: "TaskStateExited", State: "AwaitEndpoint", Timestamp: time.Now(), Details: details})

			got := out.String()
			if !strings.Contains(got, "await_endpoint") || !strings.Contains(got, tt.want) {
				t.Errorf("output lacks an await_endpoint line with %q:\n%s", tt.want, got)
			}
			if tt.name != "live" && strings.Contains(got, "  live ") {
				t.Errorf("output shows a report that is not live as live:\n%s", got)
			}
		})
	}
}
