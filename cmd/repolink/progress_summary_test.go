package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

func TestSummaryOfUnfinishedExecution(t *testing.T) {
	tests := []struct {
		name   string
		exec   engine.Execution
		want   []string
		unwant []string
	}{
		{
			name: "stopped without error",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusAborted, CurrentState: "Preflight"},
			want: []string{
				"  stopped in:       preflight\n",
				"the execution was stopped; run 'repolink redrive --sandbox DATA-1' to resume",
			},
			unwant: []string{"error:", "fix the cause", "failed step:"},
		},
		{
			name: "stopped with error only",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusAborted, Error: "Operator.Stopped"},
			want: []string{
				"  stopped in:       unknown\n",
				"  error:            Operator.Stopped\n",
				"the execution was stopped; run 'repolink redrive --sandbox DATA-1'",
			},
			unwant: []string{"fix the cause", ": \n"},
		},
		{
			name: "stopped with cause only",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusAborted, Cause: "maintenance window"},
			want: []string{
				"  error:            maintenance window\n",
				"the execution was stopped",
			},
			unwant: []string{"fix the cause", "error:            : "},
		},
		{
			name: "failed step",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusFailed, Error: "Conflict", Cause: "secret: exists"},
			want: []string{
				"  failed step:      secret\n",
				"  error:            Conflict: exists\n",
				"fix the cause above, then run 'repolink redrive --sandbox DATA-1' to resume from the failed step",
			},
			unwant: []string{"stopped"},
		},
		{
			name: "failed without error",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusFailed},
			want: []string{
				"  failed step:      unknown\n",
				"  next:             run 'repolink redrive --sandbox DATA-1' to resume from the failed step",
			},
			unwant: []string{"error:", "fix the cause"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newProgress(&out)
			p.flags = " --sandbox"

			if p.summary(tt.exec) {
				t.Error("summary reported success")
			}
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, out.String())
				}
			}
			for _, unwant := range tt.unwant {
				if strings.Contains(out.String(), unwant) {
					t.Errorf("summary contains %q:\n%s", unwant, out.String())
				}
			}
		})
	}
}
