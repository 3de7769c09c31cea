package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreflightEgressGroupOfOtherRegion checks that the sandbox's security
// group of the egress example belongs to the example's region: with
// egress.region eu-west-1, preflight does not find it and exits with
// status 2, as EC2 answers for a group of another region.
func TestPreflightEgressGroupOfOtherRegion(t *testing.T) {
	data, err := os.ReadFile("../../examples/egress-ip.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	section(doc, "egress")["region"] = "eu-west-1"
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	req := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(req, out, 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), req)
	if code != exitInvalid {
		t.Fatalf("preflight: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"failed  egress_security_group", "$.egress.region eu-west-1", "InvalidGroup.NotFound"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("preflight output lacks %q:\n%s", want, stdout)
		}
	}
}
