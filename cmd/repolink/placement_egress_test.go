package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestRunRejectsChangedEgressGroup runs the egress-ip example and then the
// same request with another security group. A run of it would open the
// rules in the new group and leave those of the first group open after a
// teardown, so it is rejected before it starts and names the field.
func TestRunRejectsChangedEgressGroup(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	first := "../../examples/egress-ip.json"
	moved := writeExampleEdit(t, first, func(doc map[string]any) {
		section(doc, "egress")["security_group_id"] = "sg-0fffffffffffffff1"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, moved)
	assertUsage(t, "run with another security group", code, errOut,
		"changes egress.security_group_id from execution", "repolink teardown --sandbox --state-dir "+dir)
}

// TestRunRejectsChangedProxy runs the aws-privatelink example with its
// nginx proxy and then the same request with proxy none, which would leave
// the proxy VM and its target group behind.
func TestRunRejectsChangedProxy(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	first := writeRequest(t, nil)
	noProxy := writeRequest(t, func(doc map[string]any) {
		section(doc, "aws")["proxy"] = "none"
		section(doc, "aws")["target_address"] = "10.0.1.25"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, noProxy)
	assertUsage(t, "run with proxy none", code, errOut,
		"changes aws.proxy from execution", "repolink teardown --sandbox --state-dir "+dir, "new id")
}

// writeExampleEdit writes the example request at path, changed by edit, to
// a file in a test directory and returns its path.
func writeExampleEdit(t *testing.T, path string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
