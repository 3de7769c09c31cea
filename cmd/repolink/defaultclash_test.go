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
// the same default_for. Plan and run reject the second request with exit
// status 2 before an execution starts, and the first request keeps its
// schema default.
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

	conflict := "request DATA-4799 sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on SCHEMA PLATFORM.PACKAGES in Snowflake account " +
		"myorg-analytics ($.repository.default_for), as request DATA-4721 does in execution DATA-4721 (SUCCEEDED)"
	advice := "Set $.repository.default_for to another level or to none, or tear down request DATA-4721 first"
	for _, args := range [][]string{
		{"plan", "--sandbox", "--state-dir", dir, second},
		append([]string{"run"}, append(sandbox, second)...),
	} {
		command := args[0]
		code, out, errOut := runCLI(t, args...)
		if code != exitInvalid {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", command, code, exitInvalid, out, errOut)
		}
		for _, want := range []string{conflict, advice} {
			// plan prints the rejection in its report, run as its error.
			if !strings.Contains(out+errOut, want) {
				t.Errorf("%s output lacks %q:\nstdout:\n%s\nstderr:\n%s", command, want, out, errOut)
			}
		}
	}
	code, out, errOut := runCLI(t, "list", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("list: exit %d\nstderr:\n%s", code, errOut)
	}
	if strings.Contains(out, "DATA-4799") {
		t.Errorf("an execution of the rejected request started:\n%s", out)
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, first)
	if code != exitOK {
		t.Fatalf("plan of the first request: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "SCHEMA PLATFORM.PACKAGES, names PLATFORM.PACKAGES.PUBLIC_PYPI"; !strings.Contains(out, want) {
		t.Errorf("plan of the first request lacks %q:\n%s", want, out)
	}
}
