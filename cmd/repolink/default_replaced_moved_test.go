package main

import (
	"strings"
	"testing"
)

// TestRunUnsetNamesReplacedDefault runs a request with default_for schema
// over a schema default that a person set, and then with default_for none
// or database. The second run unsets the schema, and plan, its output, its
// log and its status name the value that the first run replaced there.
func TestRunUnsetNamesReplacedDefault(t *testing.T) {
	for _, defaultFor := range []string{"none", "database"} {
		t.Run(defaultFor, func(t *testing.T) {
			dir, sandbox, schema := prepareHandSetDefault(t)
			if code, out, errOut := runCLI(t, append([]string{"run"}, append(sandbox, schema)...)...); code != exitOK {
				t.Fatalf("run with default_for schema: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			moved := writePublicRequest(t, "moved.json", func(doc map[string]any) {
				section(doc, "repository")["default_for"] = defaultFor
			})

			code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, moved)
			if code != exitOK {
				t.Fatalf("plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			planned := "leaves SCHEMA PLATFORM.PACKAGES unset, although it was PLATFORM.PACKAGES.TEAM_PYPI before a run replaced it"
			if !strings.Contains(out, planned) {
				t.Errorf("plan output lacks %q:\n%s", planned, out)
			}

			code, out, errOut = runCLI(t, append([]string{"run", "--verbose"}, append(sandbox, moved)...)...)
			if code != exitOK {
				t.Fatalf("run with default_for %s: exit %d\nstdout:\n%s\nstderr:\n%s", defaultFor, code, out, errOut)
			}
			note := "the default on SCHEMA PLATFORM.PACKAGES was PLATFORM.PACKAGES.TEAM_PYPI before a run of request " +
				"DATA-4721 replaced it; it is now unset"
			if !strings.Contains(out, "note:             "+note) {
				t.Errorf("run summary lacks the note %q:\n%s", note, out)
			}
			if want := "SCHEMA PLATFORM.PACKAGES was PLATFORM.PACKAGES.TEAM_PYPI before a run replaced it, and is now unset"; !strings.Contains(out, want) {
				t.Errorf("default step output lacks %q:\n%s", want, out)
			}
			if want := "previous=PLATFORM.PACKAGES.TEAM_PYPI"; !strings.Contains(errOut, want) {
				t.Errorf("run log lacks %q:\n%s", want, errOut)
			}

			run := summaryField(out, "execution:")
			code, out, errOut = runCLI(t, "status", "--state-dir", dir, run)
			if code != exitOK {
				t.Fatalf("status of the run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(out, note) {
				t.Errorf("status of the run %q lacks the note %q:\n%s", run, note, out)
			}
		})
	}
}
