package main

import (
	"strings"
	"testing"
)

// TestRunConflictAdviceHasFlags changes aws.upstream after a run, so the
// proxy_vm step of the second run fails with a Conflict that suggests a
// teardown. The suggested command must carry the flags of the run, as the
// next: line's commands do.
func TestRunConflictAdviceHasFlags(t *testing.T) {
	dir := t.TempDir()
	first := writeRequest(t, nil)
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first)
	if code != exitOK {
		t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	changed := writeRequest(t, func(doc map[string]any) {
		section(doc, "aws")["upstream"] = "10.9.9.9:8443"
	})
	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, changed)
	if code != exitFailed {
		t.Fatalf("second run exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(out, "  error:            Conflict: ") {
		t.Fatalf("second run did not fail with a Conflict:\n%s", out)
	}

	want := "'repolink teardown --sandbox --state-dir " + dir + " DATA-4711'"
	var errorLine, failedLine string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "  error:"):
			errorLine = line
		case strings.HasPrefix(line, "  proxy_vm ") && strings.Contains(line, " failed "):
			failedLine = line
		}
	}
	if !strings.Contains(errorLine, want) {
		t.Errorf("error line %q does not contain %s", errorLine, want)
	}
	if !strings.Contains(failedLine, want) {
		t.Errorf("proxy_vm failed line %q does not contain %s", failedLine, want)
	}

	code, status, errOut := runCLI(t, "status", "--state-dir", dir, "DATA-4711-r2")
	if code != exitOK {
		t.Fatalf("status exit %d\nstdout:\n%s\nstderr:\n%s", code, status, errOut)
	}
	if !strings.Contains(status, want) {
		t.Errorf("status output does not contain %s:\n%s", want, status)
	}
}
