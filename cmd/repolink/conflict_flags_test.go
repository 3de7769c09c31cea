package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRunConflictAdviceHasFlags changes aws.upstream after a run, so the
// proxy_vm step of the second run fails with a Conflict that suggests a
// teardown. The suggested command must carry the flags of the run, as the
// next: line's commands do.
func TestRunConflictAdviceHasFlags(t *testing.T) {
	// A state directory with a space or a quote is shell-quoted in the
	// suggested commands, so that they work when pasted.
	tests := []struct {
		name   string
		subdir string
		quoted func(dir string) string
	}{
		{"plain path", "state", func(dir string) string { return dir }},
		{"space", "x y", func(dir string) string { return `"` + dir + `"` }},
		{"single quote", "it's", func(dir string) string { return `"` + dir + `"` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.subdir)
			checkConflictAdviceFlags(t, dir, tt.quoted(dir))
		})
	}
}

// checkConflictAdviceFlags runs the Conflict case in state directory dir
// and checks that the advice names it as quotedDir.
func checkConflictAdviceFlags(t *testing.T, dir, quotedDir string) {
	t.Helper()
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

	// The failing run is the request's latest, the one a teardown accepts.
	want := "'repolink teardown --sandbox --state-dir " + quotedDir + " DATA-4711-r2'"
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
	wantNext := "--state-dir " + quotedDir + " DATA-4711-r2'"
	if !strings.Contains(out, wantNext) {
		t.Errorf("run output does not contain %s:\n%s", wantNext, out)
	}

	code, status, errOut := runCLI(t, "status", "--state-dir", dir, "DATA-4711-r2")
	if code != exitOK {
		t.Fatalf("status exit %d\nstdout:\n%s\nstderr:\n%s", code, status, errOut)
	}
	if !strings.Contains(status, want) {
		t.Errorf("status output does not contain %s:\n%s", want, status)
	}
}
