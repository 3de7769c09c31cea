package main

import (
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

func TestFailedStep(t *testing.T) {
	tests := []struct {
		name      string
		x         engine.Execution
		wantStep  string
		wantCause string
	}{
		{"task failure", engine.Execution{Cause: "preflight: package x was not found", CurrentState: "Preflight"}, "preflight", "package x was not found"},
		{"stopped in a step", engine.Execution{Machine: provisionMachine, Cause: "stopped by an operator", CurrentState: "AwaitEndpoint"}, "await_endpoint", "stopped by an operator"},
		{"timed out in a step", engine.Execution{Machine: provisionMachine, Cause: "the execution ran longer than its TimeoutSeconds", CurrentState: "LoadBalancer"}, "load_balancer", "the execution ran longer than its TimeoutSeconds"},
		{"no step", engine.Execution{Cause: "stopped by an operator"}, "", "stopped by an operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, cause := failedStep(tt.x)
			if step != tt.wantStep {
				t.Errorf("step = %q, want %q", step, tt.wantStep)
			}
			if cause != tt.wantCause {
				t.Errorf("cause = %q, want %q", cause, tt.wantCause)
			}
		})
	}
}
