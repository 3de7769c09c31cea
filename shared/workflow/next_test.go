package workflow

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRemedyFor(t *testing.T) {
	tests := []struct {
		errorName string
		want      Remedy
	}{
		{ErrInvalidRequest, RemedyChangeRequest},
		{ErrConflict, RemedyResolveConflict},
		{ErrPermissionDenied, RemedyGrantPermission},
		{ErrRejected, RemedyRedrive},
		{ErrTransient, RemedyRedrive},
		{ErrTimeout, RemedyRedrive},
		{"States.Timeout", RemedyRedrive},
		{"", RemedyRedrive},
	}
	for _, tt := range tests {
		if got := RemedyFor(tt.errorName); got != tt.want {
			t.Errorf("RemedyFor(%q) = %d, want %d", tt.errorName, got, tt.want)
		}
	}
}

func TestNextAction(t *testing.T) {
	cmds := NextCommands{Redrive: "run 'repolink redrive DATA-1'", Rerun: "run 'repolink run REQUEST' with the changed request file"}
	withTeardown := cmds
	withTeardown.Teardown = "run 'repolink teardown DATA-1'"
	tests := []struct {
		name      string
		status    string
		errorName string
		cmds      NextCommands
		want      []string
		unwant    []string
	}{
		{
			name: "transient", status: "FAILED", errorName: ErrTransient, cmds: cmds,
			want:   []string{"fix the cause, then run 'repolink redrive DATA-1' to resume from the failed step"},
			unwant: []string{"repolink run REQUEST"},
		},
		{
			name: "invalid request", status: "FAILED", errorName: ErrInvalidRequest, cmds: cmds,
			want: []string{
				"change the request to fix the cause, then run 'repolink run REQUEST' with the changed request file",
				"so run 'repolink redrive DATA-1' only when the fix lies outside the request",
			},
		},
		{
			name: "conflict", status: "FAILED", errorName: ErrConflict, cmds: cmds,
			want: []string{
				"change the request, then run 'repolink run REQUEST' with the changed request file",
				"fix that, then run 'repolink redrive DATA-1' to resume from the failed step",
			},
		},
		{
			name: "permission denied", status: "FAILED", errorName: ErrPermissionDenied, cmds: cmds,
			want:   []string{"grant the permission that the error names", "then run 'repolink redrive DATA-1' to resume from the failed step"},
			unwant: []string{"change the request", "repolink run REQUEST"},
		},
		{
			name: "permission denied without rerun", status: "FAILED", errorName: ErrPermissionDenied, cmds: NextCommands{Redrive: cmds.Redrive},
			want: []string{"grant the permission that the error names", "then run 'repolink redrive DATA-1' to resume from the failed step"},
		},
		{
			name: "timed out", status: "TIMED_OUT", errorName: "States.Timeout", cmds: cmds,
			want:   []string{"fix the cause, then run 'repolink redrive DATA-1' to resume from the failed step"},
			unwant: []string{"repolink run REQUEST"},
		},
		{
			name: "stopped", status: "ABORTED", cmds: cmds,
			want: []string{
				"run 'repolink redrive DATA-1' to resume from the step it stopped in",
				"or change the request, then run 'repolink run REQUEST' with the changed request file",
			},
		},
		{
			name: "stopped as invalid", status: "ABORTED", errorName: ErrInvalidRequest, cmds: cmds,
			want: []string{"change the request to fix the cause, then run 'repolink run REQUEST'"},
		},
		{
			name: "invalid without rerun", status: "FAILED", errorName: ErrInvalidRequest, cmds: NextCommands{Redrive: cmds.Redrive},
			want:   []string{"fix the cause, then run 'repolink redrive DATA-1' to resume from the failed step"},
			unwant: []string{"change the request"},
		},
		{
			name: "stopped without rerun", status: "ABORTED", cmds: NextCommands{Redrive: cmds.Redrive},
			want:   []string{"run 'repolink redrive DATA-1' to resume from the step it stopped in"},
			unwant: []string{"change the request", "to remove what it built"},
		},
		{
			name: "stopped with teardown", status: "ABORTED", cmds: withTeardown,
			want: []string{
				"run 'repolink redrive DATA-1' to resume from the step it stopped in",
				"or change the request, then run 'repolink run REQUEST' with the changed request file",
				", or run 'repolink teardown DATA-1' to remove what it built",
			},
		},
		{
			name: "stopped with teardown without rerun", status: "ABORTED", cmds: NextCommands{Redrive: cmds.Redrive, Teardown: withTeardown.Teardown},
			want: []string{"run 'repolink redrive DATA-1' to resume from the step it stopped in, or run 'repolink teardown DATA-1' to remove what it built"},
		},
		{
			name: "stopped as invalid with teardown", status: "ABORTED", errorName: ErrInvalidRequest, cmds: withTeardown,
			want: []string{"change the request to fix the cause", ", or run 'repolink teardown DATA-1' to remove what it built"},
		},
		{
			name: "failed with teardown", status: "FAILED", errorName: ErrTransient, cmds: withTeardown,
			want:   []string{"fix the cause, then run 'repolink redrive DATA-1' to resume from the failed step"},
			unwant: []string{"repolink teardown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextAction(tt.status, tt.errorName, tt.cmds)
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("NextAction = %q, want it to contain %q", got, want)
				}
			}
			for _, unwant := range tt.unwant {
				if strings.Contains(got, unwant) {
					t.Errorf("NextAction = %q, want it without %q", got, unwant)
				}
			}
		})
	}
}

func TestRemedyForInput(t *testing.T) {
	tests := []struct {
		name      string
		errorName string
		input     string
		want      Remedy
	}{
		{"empty object", "States.Runtime", `{}`, RemedyStartWithRequest},
		{"null request", "States.Runtime", `{"request": null}`, RemedyStartWithRequest},
		{"string request", "States.Runtime", `{"request": "DATA-1"}`, RemedyStartWithRequest},
		{"not an object", "States.Runtime", `[1, 2]`, RemedyStartWithRequest},
		{"not JSON", "", `{`, RemedyStartWithRequest},
		{"aborted without request", "", `{"resources": {}}`, RemedyStartWithRequest},
		{"request without resources", "States.Runtime", `{"request": {"id": "DATA-1"}}`, RemedyStartWithRequest},
		{"null resources", "States.Runtime", `{"request": {"id": "DATA-1"}, "resources": null}`, RemedyStartWithRequest},
		{"request", ErrTransient, `{"request": {"id": "DATA-1"}, "resources": {}}`, RemedyRedrive},
		{"invalid request", ErrInvalidRequest, `{"request": {"id": "DATA-1"}, "resources": {}}`, RemedyChangeRequest},
		{"resource of wrong type", ErrInvalidRequest, `{"request": {"id": "DATA-1"}, "resources": {"proxy_vm": 5}}`, RemedyStartWithRequest},
		{"embedded field of wrong type", ErrInvalidRequest, `{"request": {"id": "DATA-1"}, "resources": {"proxy_vm": {"id": 5}}}`, RemedyStartWithRequest},
		{"invalid time", ErrInvalidRequest, `{"request": {"id": "DATA-1"}, "resources": {"preflight": {"credential_expires_at": "soon"}}}`, RemedyStartWithRequest},
		{"valid resources", ErrTransient, `{"request": {"id": "DATA-1"}, "resources": {"proxy_vm": {"id": "i-1", "private_ip": "10.0.0.5"}, "preflight": {"credential_expires_at": "2026-01-02T15:04:05Z"}}}`, RemedyRedrive},
		{"teardown resource", ErrTransient, `{"request": {"id": "DATA-1"}, "resources": {"teardown_proxy_vm": 5}}`, RemedyRedrive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RemedyForInput(tt.errorName, json.RawMessage(tt.input), RequestAndResources); got != tt.want {
				t.Errorf("RemedyForInput(%q, %s) = %d, want %d", tt.errorName, tt.input, got, tt.want)
			}
		})
	}
}

func TestNextActionForInputWithoutRequest(t *testing.T) {
	cmds := NextCommands{
		Redrive: "run 'repolink redrive DATA-1'",
		Rerun:   "run 'repolink run REQUEST' with the changed request file",
		Run:     "run 'repolink run REQUEST'",
	}
	for _, status := range []string{"FAILED", "ABORTED", "TIMED_OUT"} {
		t.Run(status, func(t *testing.T) {
			got := NextActionForInput(status, "States.Runtime", json.RawMessage(`{}`), RequestAndResources, cmds)
			if !strings.Contains(got, "write a valid request file, then run 'repolink run REQUEST'") {
				t.Errorf("NextActionForInput = %q, want it to name a new run with a valid request", got)
			}
			if strings.Contains(got, "then run 'repolink redrive") {
				t.Errorf("NextActionForInput = %q, want no redrive advice", got)
			}
		})
	}

	got := NextActionForInput("FAILED", "States.Runtime", json.RawMessage(`{}`), RequestAndResources, NextCommands{Redrive: cmds.Redrive})
	if !strings.Contains(got, "start a new execution whose input has a valid request") {
		t.Errorf("NextActionForInput without a run command = %q, want advice to start a new execution", got)
	}
	if strings.Contains(got, "then run 'repolink redrive") {
		t.Errorf("NextActionForInput without a run command = %q, want no redrive advice", got)
	}

	withRequest := NextActionForInput("FAILED", ErrTransient, json.RawMessage(`{"request": {"id": "DATA-1"}, "resources": {}}`), RequestAndResources, cmds)
	if want := NextAction("FAILED", ErrTransient, cmds); withRequest != want {
		t.Errorf("NextActionForInput with a request = %q, want NextAction's %q", withRequest, want)
	}
}

func TestNextActionForInputWithoutResources(t *testing.T) {
	cmds := NextCommands{
		Redrive: "run 'repolink redrive DATA-1'",
		Rerun:   "run 'repolink run REQUEST' with the changed request file",
		Run:     "run 'repolink run REQUEST'",
	}
	got := NextActionForInput("FAILED", "States.Runtime", json.RawMessage(`{"request": {"id": "DATA-1"}}`), RequestAndResources, cmds)
	if !strings.Contains(got, "the execution's input has no object at $.resources") {
		t.Errorf("NextActionForInput = %q, want it to name the missing $.resources", got)
	}
	if !strings.Contains(got, "write a valid request file, then run 'repolink run REQUEST'") {
		t.Errorf("NextActionForInput = %q, want it to name a new run with a valid request", got)
	}
	if strings.Contains(got, "then run 'repolink redrive") {
		t.Errorf("NextActionForInput = %q, want no redrive advice", got)
	}
}

// The egress-refresh machine takes {"request": REQUEST}, so an input
// without $.resources is complete, and the remedy follows the error.
func TestRemedyForRequestOnlyInput(t *testing.T) {
	tests := []struct {
		name      string
		errorName string
		input     string
		want      Remedy
	}{
		{"request without resources", ErrTransient, `{"request": {"id": "DATA-1"}}`, RemedyRedrive},
		{"invalid request without resources", ErrInvalidRequest, `{"request": {"id": "DATA-1"}}`, RemedyChangeRequest},
		{"null resources", ErrTransient, `{"request": {"id": "DATA-1"}, "resources": null}`, RemedyRedrive},
		{"empty resources", ErrInvalidRequest, `{"request": {"id": "DATA-1"}, "resources": {}}`, RemedyChangeRequest},
		{"resources not an object", ErrTransient, `{"request": {"id": "DATA-1"}, "resources": 5}`, RemedyStartWithRequest},
		{"result of wrong type", ErrTransient, `{"request": {"id": "DATA-1"}, "resources": {"egress_ranges": 5}}`, RemedyStartWithRequest},
		{"no request", ErrTransient, `{"resources": {}}`, RemedyStartWithRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RemedyForInput(tt.errorName, json.RawMessage(tt.input), RequestOnly); got != tt.want {
				t.Errorf("RemedyForInput(%q, %s, RequestOnly) = %d, want %d", tt.errorName, tt.input, got, tt.want)
			}
		})
	}
}

func TestNextActionForRequestOnlyInput(t *testing.T) {
	cmds := NextCommands{
		Redrive: "run 'repolink redrive eg7'",
		Rerun:   "start a new egress-refresh execution with the changed request",
	}
	input := json.RawMessage(`{"request": {"id": "DATA-1"}}`)

	invalid := NextActionForInput("FAILED", ErrInvalidRequest, input, RequestOnly, cmds)
	if !strings.Contains(invalid, "change the request to fix the cause, then "+cmds.Rerun) {
		t.Errorf("advice after InvalidRequest = %q, want a changed request in a new execution", invalid)
	}
	if strings.Contains(invalid, "$.resources") {
		t.Errorf("advice after InvalidRequest = %q, want no mention of $.resources", invalid)
	}

	transient := NextActionForInput("FAILED", ErrTransient, input, RequestOnly, cmds)
	if !strings.Contains(transient, "fix the cause, then "+cmds.Redrive) {
		t.Errorf("advice after Transient = %q, want a redrive", transient)
	}
}
