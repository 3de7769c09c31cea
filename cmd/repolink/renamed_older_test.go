package main

import (
	"strings"
	"testing"
)

// TestRunWarnsOfOlderRenamedObjects runs the public example under three
// repository names in turn. The third run's warning names the objects of
// both earlier runs, because no teardown has removed either. After a
// teardown, a fourth name brings no warning.
func TestRunWarnsOfOlderRenamedObjects(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	first := "../../examples/public.json"
	rename := func(name string) string {
		return writeExampleEdit(t, first, func(doc map[string]any) { section(doc, "repository")["name"] = name })
	}
	run := func(file string) string {
		t.Helper()
		code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file)
		if code != exitOK {
			t.Fatalf("run %s: exit %d\nstdout:\n%s\nstderr:\n%s", file, code, out, errOut)
		}
		return errOut
	}

	run(first)
	run(rename("public_pypi2"))
	errOut := run(rename("public_pypi3"))
	for _, want := range []string{
		"execution DATA-4721-r2 of request DATA-4721 created secret PLATFORM.PACKAGES.PUBLIC_PYPI2_SECRET",
		"execution DATA-4721 created secret PLATFORM.PACKAGES.PUBLIC_PYPI_SECRET, API integration PUBLIC_PYPI_INTEGRATION " +
			"and artifact repository PLATFORM.PACKAGES.PUBLIC_PYPI, which this request no longer names",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("third run's stderr lacks %q:\n%s", want, errOut)
		}
	}

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4721-r3"); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if errOut := run(rename("public_pypi4")); strings.Contains(errOut, "no longer names") {
		t.Errorf("run after a succeeded teardown warns about earlier runs:\n%s", errOut)
	}
}
