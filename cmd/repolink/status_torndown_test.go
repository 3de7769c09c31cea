package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStatusNamesTeardown checks that status of a provision execution
// whose request a teardown removed names that teardown, in text and JSON,
// and that status before the teardown names none.
func TestStatusNamesTeardown(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, nil)
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, out, _ := runCLI(t, "status", "--state-dir", dir, "DATA-4711"); strings.Contains(out, "torn down:") {
		t.Errorf("status before any teardown names one:\n%s", out)
	}

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711"); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "status", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("status: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "torn down:     by DATA-4711-teardown (SUCCEEDED), so the resources of this run no longer exist") {
		t.Errorf("status after the teardown does not name it:\n%s", out)
	}

	_, out, _ = runCLI(t, "status", "--state-dir", dir, "--output", "json", "DATA-4711")
	var view struct {
		TornDownBy *teardownRef `json:"torn_down_by"`
	}
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	if view.TornDownBy == nil || view.TornDownBy.Name != "DATA-4711-teardown" || view.TornDownBy.Status != "SUCCEEDED" {
		t.Errorf("torn_down_by = %+v, want DATA-4711-teardown SUCCEEDED", view.TornDownBy)
	}
}
