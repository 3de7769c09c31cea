package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePublicRequest writes the public example request with the fields of
// edit replaced and returns its path.
func writePublicRequest(t *testing.T, name string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/public.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunRejectsDefaultLevelOfOtherRequest runs a request with default_for
// schema, then plans and runs a second request with another repository and
// the same default_for. Plan and run report the conflict, and the first
// request's schema default outlives the second request's teardown.
func TestRunRejectsDefaultLevelOfOtherRequest(t *testing.T) {
	dir := t.TempDir()
	first := writePublicRequest(t, "first.json", func(doc map[string]any) {
		section(doc, "repository")["default_for"] = "schema"
	})
	second := writePublicRequest(t, "second.json", func(doc map[string]any) {
		doc["id"] = "DATA-4799"
		section(doc, "repository")["name"] = "other_pypi"
		section(doc, "repository")["default_for"] = "schema"
	})
	sandbox := []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir}
	if code, out, errOut := runCLI(t, append([]string{"run"}, append(sandbox, first)...)...); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	conflict := "DEFAULT_PYTHON_ARTIFACT_REPOSITORY on SCHEMA PLATFORM.PACKAGES names PLATFORM.PACKAGES.PUBLIC_PYPI, " +
		"which a run of request DATA-4721 set"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	if code != exitOK {
		t.Fatalf("plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, conflict) {
		t.Errorf("plan output lacks %q:\n%s", conflict, out)
	}

	code, out, errOut = runCLI(t, append([]string{"run"}, append(sandbox, second)...)...)
	if code != exitFailed {
		t.Errorf("second run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(out+errOut, "Conflict: "+conflict) {
		t.Errorf("second run output lacks %q:\nstdout:\n%s\nstderr:\n%s", conflict, out, errOut)
	}

	if code, out, errOut := runCLI(t, append([]string{"teardown"}, append(sandbox, second)...)...); code != exitOK {
		t.Fatalf("teardown of the second request: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, first)
	if code != exitOK {
		t.Fatalf("plan of the first request: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "SCHEMA PLATFORM.PACKAGES, names PLATFORM.PACKAGES.PUBLIC_PYPI"; !strings.Contains(out, want) {
		t.Errorf("plan of the first request lacks %q:\n%s", want, out)
	}
}
