package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndPSCRangeAdvisesTeardown checks a second Google Cloud request
// whose gcp.psc_subnet_cidr differs from the range of the Private Service
// Connect subnet that the first request created. Its service attachment
// step fails with advice to set another range, and a run with that range
// is rejected while the failed run's resources exist. So the run summary
// must advise the teardown first, and after the teardown a run with the
// advised range must succeed.
func TestEndToEndPSCRangeAdvisesTeardown(t *testing.T) {
	dir := t.TempDir()
	sandbox := []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir}

	code, out, errOut := runCLI(t, append([]string{"run"}, append(sandbox, "../../examples/gcp-privatelink.json")...)...)
	if code != exitOK {
		t.Fatalf("first request: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	second := writeSecondGCPRequest(t, "192.168.254.0/28")
	code, out, _ = runCLI(t, append([]string{"run"}, append(sandbox, second)...)...)
	if code == exitOK {
		t.Fatalf("second request with another PSC range succeeded:\n%s", out)
	}
	if !strings.Contains(textField(out, "  error:"), "set $.gcp.psc_subnet_cidr to 192.168.255.0/28") {
		t.Fatalf("error does not advise the range of the existing subnet:\n%s", out)
	}
	next := textField(out, "  next:")
	if !strings.Contains(next, "repolink teardown --sandbox --state-dir "+dir+" G2") {
		t.Errorf("next does not advise the teardown of G2: %s", next)
	}
	if strings.Contains(next, "repolink redrive") {
		t.Errorf("next offers a redrive, which fails the same way: %s", next)
	}

	code, out, errOut = runCLI(t, append([]string{"teardown"}, append(sandbox, "G2")...)...)
	if code != exitOK {
		t.Fatalf("teardown of G2: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	fixed := writeSecondGCPRequest(t, "192.168.255.0/28")
	code, out, errOut = runCLI(t, append([]string{"run"}, append(sandbox, fixed)...)...)
	if code != exitOK {
		t.Fatalf("second request with the advised range after the teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
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
