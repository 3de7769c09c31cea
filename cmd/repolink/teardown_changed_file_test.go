package main

import (
	"strings"
	"testing"
)

// TestTeardownChangedFileWarning tears down with a request file whose
// packages changed since the run, and with one that only spells the role
// in lower case. The first warning must say that the teardown ignores the
// change, and not advise a run of the file. The second file names the
// same role, so it gets no warning.
func TestTeardownChangedFileWarning(t *testing.T) {
	dir := t.TempDir()
	sandboxFlags := []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir}
	if code, out, errOut := runCLI(t, append([]string{"run"}, append(sandboxFlags, writeRequest(t, nil))...)...); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	respelled := writeRequest(t, func(doc map[string]any) {
		sf := doc["snowflake"].(map[string]any)
		sf["role"] = strings.ToLower(sf["role"].(string))
	})
	code, out, errOut := runCLI(t, append([]string{"teardown"}, append(sandboxFlags, respelled)...)...)
	if code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "warning") {
		t.Errorf("warning for a file that names the same role in lower case:\n%s", errOut)
	}

	changed := writeRequest(t, func(doc map[string]any) {
		doc["repository"].(map[string]any)["packages"] = []string{"corp-utils==2.3.1"}
	})
	code, out, errOut = runCLI(t, append([]string{"teardown"}, append(sandboxFlags, changed)...)...)
	if code != exitOK {
		t.Fatalf("second teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "the teardown ignores the changes in the file") {
		t.Errorf("warning does not say what the teardown does with the change:\n%s", errOut)
	}
	if strings.Contains(errOut, "repolink run") {
		t.Errorf("teardown advises a run of the changed file:\n%s", errOut)
	}
}
