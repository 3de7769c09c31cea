package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndPSCRangeStopsInPreflight checks a second Google Cloud request
// whose gcp.psc_subnet_cidr differs from the range of the Private Service
// Connect subnet that the first request created. Its run must stop in
// preflight, before the proxy VM and the load balancer exist, with advice
// to set the existing range. Because nothing was built, the advice names no
// teardown, and a run with the advised range succeeds at once. The preflight
// command fails the same check and exits with status 2.
func TestEndToEndPSCRangeStopsInPreflight(t *testing.T) {
	dir := t.TempDir()
	sandbox := []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir}

	code, out, errOut := runCLI(t, append([]string{"run"}, append(sandbox, "../../examples/gcp-privatelink.json")...)...)
	if code != exitOK {
		t.Fatalf("first request: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	second := writeSecondGCPRequest(t, "192.168.254.0/28")
	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Fatalf("preflight of the second request: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(out, "failed  psc_subnet") || !strings.Contains(out, "set $.gcp.psc_subnet_cidr to 192.168.255.0/28") {
		t.Errorf("preflight does not fail psc_subnet with the existing range:\n%s", out)
	}

	code, out, _ = runCLI(t, append([]string{"run"}, append(sandbox, second)...)...)
	if code == exitOK {
		t.Fatalf("second request with another PSC range succeeded:\n%s", out)
	}
	if !strings.Contains(out, "failed step:      preflight") {
		t.Errorf("the run did not stop in preflight:\n%s", out)
	}
	if !strings.Contains(textField(out, "  error:"), "set $.gcp.psc_subnet_cidr to 192.168.255.0/28") {
		t.Fatalf("error does not advise the range of the existing subnet:\n%s", out)
	}
	if next := textField(out, "  next:"); strings.Contains(next, "repolink teardown") {
		t.Errorf("next advises a teardown, but the run built nothing: %s", next)
	}

	fixed := writeSecondGCPRequest(t, "192.168.255.0/28")
	code, out, errOut = runCLI(t, append([]string{"run"}, append(sandbox, fixed)...)...)
	if code != exitOK {
		t.Fatalf("second request with the advised range: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// writeSecondGCPRequest writes the Google Cloud example as request G2 of
// another repository and index host, with gcp.psc_subnet_cidr cidr and no
// default, so that it shares only the PSC subnet with the example.
func writeSecondGCPRequest(t *testing.T, cidr string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/gcp-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["id"] = "G2"
	repo := section(doc, "repository")
	repo["name"] = "other_pypi"
	repo["index_url"] = "https://pypi2.corp.example.com/simple/"
	section(repo, "auth")["password_ref"] = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index2-password"
	repo["default_for"] = "none"
	gcp := section(doc, "gcp")
	gcp["psc_subnet_cidr"] = cidr
	gcp["upstream"] = "pypi2.corp.example.com:443"

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
