package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/plan"
)

// TestPlanConflictExitStatus checks that a plan which reports a conflict,
// here EC2's rejection of an instance type that the region lacks, exits
// with status 2 in text and JSON, because only the request must change.
func TestPlanConflictExitStatus(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) { section(doc, "aws")["instance_type"] = "t3.nano" })

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Fatalf("text plan: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "proxy_vm_launch") || !strings.Contains(out, "1 in conflict") {
		t.Errorf("text plan does not list the launch check as a conflict:\n%s", out)
	}
	if !strings.Contains(errOut, "a run would stop") {
		t.Errorf("stderr does not say that a run would stop: %s", errOut)
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, "--output", "json", req)
	if code != exitInvalid {
		t.Fatalf("JSON plan: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var report planReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("JSON plan: %v\n%s", err, out)
	}
	if report.Summary.Conflict != 1 {
		t.Errorf("JSON summary conflict = %d, want 1", report.Summary.Conflict)
	}
}

func TestConflictStatusCountsConflicts(t *testing.T) {
	one := plan.Report{Items: []plan.Item{{Step: "preflight", State: plan.Conflict, InvalidRequest: true}}}
	if got, want := conflictStatus(one).Error(), "a run would stop at the conflict of the plan; change what its line names"; got != want {
		t.Errorf("one conflict: %q, want %q", got, want)
	}
	two := plan.Report{Items: []plan.Item{{State: plan.Conflict}, {State: plan.Conflict}, {State: plan.Create}}}
	if got, want := conflictStatus(two).Error(), "a run would stop at the 2 conflicts of the plan; change what their lines name"; got != want {
		t.Errorf("two conflicts: %q, want %q", got, want)
	}
	if err := conflictStatus(plan.Report{Items: []plan.Item{{State: plan.Create}}}); err != nil {
		t.Errorf("no conflict: %v, want nil", err)
	}
}
