package payload

import (
	"encoding/json"
	"testing"
	"time"
)

func TestBuildSucceeded(t *testing.T) {
	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("east", 3600))
	note := Build(Run{
		Name:      "run-1",
		RequestID: "req-1",
		Status:    "SUCCEEDED",
		StartedAt: started,
		Output:    json.RawMessage(`{"resources":{"proxy_vm":{"id":"i-1"}}}`),
		Next:      "not for a succeeded run",
	})
	if note.Event != EventSucceeded {
		t.Errorf("Event = %q, want %q", note.Event, EventSucceeded)
	}
	if string(note.Resources) != `{"proxy_vm":{"id":"i-1"}}` {
		t.Errorf("Resources = %s", note.Resources)
	}
	if note.StartedAt.Location() != time.UTC || !note.StartedAt.Equal(started) {
		t.Errorf("StartedAt = %v, want %v in UTC", note.StartedAt, started)
	}
	if note.Next != "" {
		t.Errorf("Next = %q, want empty", note.Next)
	}
}

func TestBuildFailedCause(t *testing.T) {
	tests := []struct {
		cause     string
		wantStep  string
		wantCause string
	}{
		{"proxy_vm: quota exceeded", "proxy_vm", "quota exceeded"},
		{"stopped by an operator", "unknown", "stopped by an operator"},
		{"the run failed: timeout", "unknown", "the run failed: timeout"},
	}
	for _, tt := range tests {
		note := Build(Run{Status: "FAILED", Error: "States.TaskFailed", Cause: tt.cause, Next: "redrive it"})
		if note.Event != EventNeedsOperator {
			t.Errorf("%q: Event = %q, want %q", tt.cause, note.Event, EventNeedsOperator)
		}
		if note.FailedStep != tt.wantStep {
			t.Errorf("%q: FailedStep = %q, want %q", tt.cause, note.FailedStep, tt.wantStep)
		}
		if note.Cause != tt.wantCause {
			t.Errorf("%q: Cause = %q, want %q", tt.cause, note.Cause, tt.wantCause)
		}
		if note.Error != "States.TaskFailed" {
			t.Errorf("%q: Error = %q, want States.TaskFailed", tt.cause, note.Error)
		}
		if note.Next != "redrive it" {
			t.Errorf("%q: Next = %q, want the run's next action", tt.cause, note.Next)
		}
	}
}

func TestBuildStoppedRunNamesStep(t *testing.T) {
	tests := []struct {
		name     string
		run      Run
		wantStep string
	}{
		{"aborted", Run{Status: "ABORTED", State: "ProxyVM"}, "proxy_vm"},
		{"timed out", Run{Status: "TIMED_OUT", Error: "States.Timeout", Cause: "execution timed out", State: "AwaitEndpoint"}, "await_endpoint"},
		{"teardown aborted", Run{Machine: MachineTeardown, Status: "ABORTED", State: "TeardownProxyVM"}, "teardown_proxy_vm"},
		{"cause wins", Run{Status: "FAILED", Cause: "secret: exists", State: "Integration"}, "secret"},
		{"no step", Run{Status: "ABORTED", State: "Route"}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			note := Build(tt.run)
			if note.FailedStep != tt.wantStep {
				t.Errorf("FailedStep = %q, want %q", note.FailedStep, tt.wantStep)
			}
			if note.Event != EventNeedsOperator {
				t.Errorf("Event = %q, want %q", note.Event, EventNeedsOperator)
			}
		})
	}
}

func TestTimesWrittenWithMilliseconds(t *testing.T) {
	at := time.Date(2026, 12, 6, 1, 42, 3, 119619171, time.UTC)
	note := Build(Run{Name: "run-1", Status: "FAILED", StartedAt: at, StoppedAt: at.Add(time.Second)})
	notice := BuildCredentialNotice(Credential{Execution: "run-1", ExpiresAt: at})
	tests := []struct {
		field string
		value any
		want  string
	}{
		{"started_at", note, "2026-12-06T01:42:03.119Z"},
		{"stopped_at", note, "2026-12-06T01:42:04.119Z"},
		{"expires_at", notice, "2026-12-06T01:42:03.119Z"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			body, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]any
			if err := json.Unmarshal(body, &fields); err != nil {
				t.Fatal(err)
			}
			if got := fields[tt.field]; got != tt.want {
				t.Errorf("%s = %v, want %s", tt.field, got, tt.want)
			}
		})
	}
}
