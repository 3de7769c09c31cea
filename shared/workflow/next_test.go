package workflow

import (
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
			unwant: []string{"change the request"},
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
