package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestTeardownNamesReplacedDefault runs a request with default_for schema
// over a schema default that a person set, and tears it down. Teardown
// leaves the schema unset. The status of the run, and the summary and
// status of the teardown, name the value that the run replaced.
func TestTeardownNamesReplacedDefault(t *testing.T) {
	dir, sandbox, schema := prepareHandSetDefault(t)
	code, out, errOut := runCLI(t, append([]string{"run"}, append(sandbox, schema)...)...)
	if code != exitOK {
		t.Fatalf("run with default_for schema: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	run := summaryField(out, "execution:")
	code, out, errOut = runCLI(t, "status", "--state-dir", dir, run)
	if code != exitOK {
		t.Fatalf("status of the run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "replaced PLATFORM.PACKAGES.TEAM_PYPI, which no run of request DATA-4721 set"; !strings.Contains(out, want) {
		t.Errorf("status of the run %q lacks %q:\n%s", run, want, out)
	}

	code, out, errOut = runCLI(t, append([]string{"teardown"}, append(sandbox, schema)...)...)
	if code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	note := "the default on SCHEMA PLATFORM.PACKAGES was PLATFORM.PACKAGES.TEAM_PYPI before a run of request DATA-4721 " +
		"replaced it; teardown left it unset, so set it again if it should stay the default"
	if !strings.Contains(out, "note:             "+note) {
		t.Errorf("teardown summary lacks the note %q:\n%s", note, out)
	}

	execution := summaryField(out, "execution:")
	if execution == "" {
		t.Fatalf("teardown summary names no execution:\n%s", out)
	}
	code, out, errOut = runCLI(t, "status", "--state-dir", dir, execution)
	if code != exitOK {
		t.Fatalf("status: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, note) {
		t.Errorf("status of the teardown lacks the note %q:\n%s", note, out)
	}

	code, out, errOut = runCLI(t, "status", "--state-dir", dir, "--output", "json", execution)
	if code != exitOK {
		t.Fatalf("status --output json: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var status struct {
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		t.Fatalf("status --output json: %v\n%s", err, out)
	}
	if !slices.Contains(status.Notes, note) {
		t.Errorf("status --output json notes = %q, want them to contain %q", status.Notes, note)
	}
}

// summaryField returns the value after the last line of out that starts,
// after spaces, with label.
func summaryField(out, label string) string {
	value := ""
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), label); ok {
			value = strings.TrimSpace(rest)
		}
	}
	return value
}
