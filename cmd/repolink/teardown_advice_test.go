package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// suggestedTeardown matches a quoted teardown command in a message.
var suggestedTeardown = regexp.MustCompile(`'(repolink teardown [^']+)'`)

// writeExample writes the request in the example file, with edit applied,
// to a new file and returns its path.
func writeExample(t *testing.T, example string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", example))
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
	path := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runSuggestedTeardown runs each teardown command that output quotes, as
// printed, and fails the test when output quotes none or one of them
// exits other than 0.
func runSuggestedTeardown(t *testing.T, output string) {
	t.Helper()
	matches := suggestedTeardown.FindAllStringSubmatch(output, -1)
	if len(matches) == 0 {
		t.Fatalf("output quotes no teardown command:\n%s", output)
	}
	for _, m := range matches {
		args := append(strings.Fields(m[1])[1:], "--sandbox-latency", "none")
		if code, out, errOut := runCLI(t, args...); code != exitOK {
			t.Errorf("suggested %q: exit %d\nstdout:\n%s\nstderr:\n%s", m[1], code, out, errOut)
		}
	}
}

// TestProxyVMConflictTeardownAdvice reruns a request with another
// azure.vm_size, which the proxy VM step rejects. The failing run is the
// request's latest, so the teardown that the error suggests names it and
// not the run that launched the VM.
func TestProxyVMConflictTeardownAdvice(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join("..", "..", "examples", "azure-privatelink.json")
	resized := writeExample(t, "azure-privatelink.json", func(doc map[string]any) {
		section(doc, "azure")["vm_size"] = "Standard_B2s"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, resized)
	if code != exitFailed {
		t.Fatalf("resized run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	if !strings.Contains(out, "Conflict: proxy VM") {
		t.Fatalf("resized run did not fail on the proxy VM:\n%s", out)
	}
	runSuggestedTeardown(t, out)
}

// TestPlacementTeardownAdviceNamesLatestRun changes the placement of a
// request whose latest run stopped in preflight after an earlier run built
// resources. The rejection names the earlier run, but a teardown accepts
// only the latest run, so the suggested command names that one.
func TestPlacementTeardownAdviceNamesLatestRun(t *testing.T) {
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) { doc["id"] = "PA-1" })
	unknownPackage := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PA-1"
		packages := section(doc, "repository")["packages"].([]any)
		section(doc, "repository")["packages"] = append(packages, "no-such-package-on-the-index")
	})
	moved := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PA-1"
		section(doc, "snowflake")["account"] = "acct-moved"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, unknownPackage)
	if code == exitOK || !strings.Contains(out, "no-such-package-on-the-index") {
		t.Fatalf("run with an unknown package: exit %d, want a preflight failure\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, moved)
	assertUsage(t, "run with another account", code, errOut, "changes $.snowflake.account from execution PA-1 (SUCCEEDED)",
		"'repolink teardown --sandbox --state-dir "+dir+" PA-1-r2'")
	runSuggestedTeardown(t, errOut)
}

// TestClashTeardownAdviceNamesLatestRun starts a request that clashes with
// another request whose latest run stopped in preflight after an earlier
// run built its resources. The teardown that the rejection suggests must
// name that latest run, the one a teardown of the other request accepts.
// The first case names the same Snowflake objects, the second only the
// same endpoint host.
func TestClashTeardownAdviceNamesLatestRun(t *testing.T) {
	tests := []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"objects", func(map[string]any) {}, "names secret PLATFORM.PACKAGES.CORP_PYPI_SECRET"},
		{"host", func(doc map[string]any) { section(doc, "repository")["name"] = "other_pypi" }, "uses the index host pypi.corp.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkClashTeardownAdvice(t, tt.edit, tt.want)
		})
	}
}

// checkClashTeardownAdvice runs the case of
// TestClashTeardownAdviceNamesLatestRun with edit applied to the clashing
// request, whose rejection must contain want.
func checkClashTeardownAdvice(t *testing.T, edit func(doc map[string]any), want string) {
	t.Helper()
	dir := t.TempDir()
	holder := writeRequest(t, func(doc map[string]any) { doc["id"] = "OC-1" })
	unknownPackage := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "OC-1"
		packages := section(doc, "repository")["packages"].([]any)
		section(doc, "repository")["packages"] = append(packages, "no-such-package-on-the-index")
	})
	clashing := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "OC-2"
		edit(doc)
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, holder); code != exitOK {
		t.Fatalf("run of OC-1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, unknownPackage)
	if code == exitOK || !strings.Contains(out, "no-such-package-on-the-index") {
		t.Fatalf("run with an unknown package: exit %d, want a preflight failure\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, clashing)
	assertUsage(t, "run of OC-2", code, errOut, want, "'repolink teardown --sandbox --state-dir "+dir+" OC-1-r2'")
	runSuggestedTeardown(t, errOut)
}
