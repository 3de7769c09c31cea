package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStatusNamesRebuild checks that status of a provision execution whose
// resources a teardown removed and a later run of its request built again
// names both, in text and JSON, and no longer reports that the resources are
// gone.
func TestStatusNamesRebuild(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, nil)
	steps := [][]string{
		{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req},
		{"teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711"},
		{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req},
	}
	for _, args := range steps {
		if code, out, errOut := runCLI(t, args...); code != exitOK {
			t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", args[0], code, out, errOut)
		}
	}

	code, out, errOut := runCLI(t, "status", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("status: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "torn down:     by DATA-4711-teardown (SUCCEEDED) at ") {
		t.Errorf("status does not name the teardown with its time:\n%s", out)
	}
	if !strings.Contains(out, "then rebuilt by DATA-4711-r2 (SUCCEEDED) started at ") {
		t.Errorf("status does not name the later run that rebuilt the resources:\n%s", out)
	}
	if want := "see 'repolink status --state-dir " + dir + " DATA-4711-r2'"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}
	if strings.Contains(out, "no longer exist") {
		t.Errorf("status says the rebuilt resources no longer exist:\n%s", out)
	}

	_, out, _ = runCLI(t, "status", "--state-dir", dir, "--output", "json", "DATA-4711")
	var view struct {
		TornDownBy *teardownRef `json:"torn_down_by"`
		RebuiltBy  *rebuildRef  `json:"rebuilt_by"`
	}
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	if view.TornDownBy == nil || view.TornDownBy.Name != "DATA-4711-teardown" || view.TornDownBy.StoppedAt == nil {
		t.Errorf("torn_down_by = %+v, want DATA-4711-teardown with stopped_at", view.TornDownBy)
	}
	if view.RebuiltBy == nil || view.RebuiltBy.Name != "DATA-4711-r2" || view.RebuiltBy.Status != "SUCCEEDED" {
		t.Errorf("rebuilt_by = %+v, want DATA-4711-r2 SUCCEEDED", view.RebuiltBy)
	}
	if view.TornDownBy != nil && view.RebuiltBy != nil && !view.RebuiltBy.StartedAt.After(view.TornDownBy.StartedAt.Time) {
		t.Errorf("rebuilt_by started at %v, not after the teardown started at %v", view.RebuiltBy.StartedAt, view.TornDownBy.StartedAt)
	}

	_, out, _ = runCLI(t, "status", "--state-dir", dir, "DATA-4711-r2")
	if strings.Contains(out, "torn down:") {
		t.Errorf("status of the latest run names a teardown:\n%s", out)
	}
}
