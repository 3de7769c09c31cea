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
				"run 'repolink redrive --sandbox DATA-1' to resume from the step it stopped in",
				"or change the request, then run 'repolink run --sandbox REQUEST' with the changed request file",
			},
			unwant: []string{"error:", "fix the cause", "failed step:"},
		},
		{
			name: "stopped with error only",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusAborted, Error: "Operator.Stopped"},
			want: []string{
				"  stopped in:       unknown\n",
				"  error:            Operator.Stopped\n",
				"run 'repolink redrive --sandbox DATA-1' to resume from the step it stopped in",
			},
			unwant: []string{"fix the cause", ": \n"},
		},
		{
			name: "stopped with cause only",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusAborted, Cause: "maintenance window"},
			want: []string{
				"  error:            maintenance window\n",
				"to resume from the step it stopped in",
			},
			unwant: []string{"fix the cause", "error:            : "},
		},
		{
			name: "failed step",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusFailed, Error: "Conflict", Cause: "secret: exists"},
			want: []string{
				"  failed step:      secret\n",
				"  error:            Conflict: exists\n",
				"fix the cause, then run 'repolink redrive --sandbox DATA-1' to resume from the failed step",
			},
			unwant: []string{"stopped"},
		},
		{
			name: "failed without error",
			exec: engine.Execution{Name: "DATA-1", Status: engine.StatusFailed},
			want: []string{
				"  failed step:      unknown\n",
				"  next:             fix the cause, then run 'repolink redrive --sandbox DATA-1' to resume from the failed step",
			},
			unwant: []string{"error:"},
		},
		{
			name: "invalid request",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, Error: "InvalidRequest",
				Cause: `preflight: no version of corp-utils on the index satisfies "corp-utils>=3"`},
			want: []string{
				"  failed step:      preflight\n",
				"change the request to fix the cause, then run 'repolink run --sandbox REQUEST' with the changed request file",
				"so run 'repolink redrive --sandbox DATA-1' only when the fix lies outside the request",
			},
			unwant: []string{"fix the cause, then run 'repolink redrive"},
		},
		{
			name: "name clash",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, Error: "Conflict",
				Cause: "preflight: artifact repository CORP_PYPI was created for request DATA-9"},
			want: []string{
				"change the request, then run 'repolink run --sandbox REQUEST' with the changed request file",
				"fix that, then run 'repolink redrive --sandbox DATA-1' to resume from the failed step",
			},
		},
		{
			name: "teardown invalid request",
			exec: engine.Execution{Name: "DATA-1-teardown", Machine: teardownMachine, Status: engine.StatusFailed, Error: "InvalidRequest",
				Cause: "the request names a route that this teardown state machine does not remove"},
			want:   []string{"fix the cause, then run 'repolink redrive --sandbox DATA-1-teardown' to resume from the failed step"},
			unwant: []string{"change the request", "repolink run"},
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

func TestSummaryOfTeardownListsKept(t *testing.T) {
	output := `{"resources":{
		"teardown_snowflake":{"action":"deleted","id":"PLATFORM.PACKAGES.CORP_PYPI","kept":[
			{"type":"SECRET","name":"CLONE_DB.PACKAGES.CORP_PYPI_SECRET","reason":"it is outside the request's schema PLATFORM.PACKAGES"}]},
		"teardown_load_balancer":{"action":"deleted","id":"lb-1"}}}`
	var out bytes.Buffer
	p := newProgress(&out)
	p.summary(engine.Execution{Name: "DATA-1-teardown", Machine: teardownMachine, Status: engine.StatusSucceeded,
		Output: []byte(output)})

	want := "  kept:             SECRET CLONE_DB.PACKAGES.CORP_PYPI_SECRET: it is outside the request's schema PLATFORM.PACKAGES\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("teardown summary does not list the kept secret:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "  resources:        2 deleted") {
		t.Errorf("teardown summary lost the deleted count:\n%s", out.String())
	}
}

func TestSummaryOfTeardownEndpointCostOnce(t *testing.T) {
	capacity := "Snowflake account acct now counts 4 of its maximum of 5 private endpoints, 1 of them deprovisioned, " +
		"which Snowflake counts for 7 days after their teardown"
	generic := "Snowflake counts the deprovisioned endpoint against the account's maximum of 5 private endpoints for 7 days"
	tests := []struct {
		name     string
		endpoint string
		want     string
	}{
		{"without step note", `{"action":"deleted","id":"pls-1"}`, generic},
		{"with step note", `{"action":"deleted","id":"pls-1","notes":["` + capacity + `"]}`, capacity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			output := `{"resources":{"teardown_endpoint":` + tt.endpoint + `}}`
			var out bytes.Buffer
			p := newProgress(&out)
			p.summary(engine.Execution{Name: "DATA-1-teardown", Machine: teardownMachine, Status: engine.StatusSucceeded,
				Output: []byte(output)})

			if got := strings.Count(out.String(), "  note:"); got != 1 {
				t.Errorf("teardown summary has %d notes, want 1:\n%s", got, out.String())
			}
			if !strings.Contains(out.String(), "  note:             "+tt.want+"\n") {
				t.Errorf("teardown summary lacks the note %q:\n%s", tt.want, out.String())
			}
		})
	}
}
