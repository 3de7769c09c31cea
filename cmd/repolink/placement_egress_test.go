package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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
		"changes $.egress.security_group_id from execution", "repolink teardown --sandbox --state-dir "+dir)
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
		"changes $.aws.proxy from execution", "repolink teardown --sandbox --state-dir "+dir, "new id")
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

// TestRunRejectsChangedSecretType runs the public example with a token and
// then the same request with a password. Its SECRET would need another
// TYPE, which the secret step cannot set, so run and plan reject the change
// before the start and name repository.auth.type.
func TestRunRejectsChangedSecretType(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	first := "../../examples/public.json"
	password := writeExampleEdit(t, first, func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{
			"type":         "password",
			"username":     "reader",
			"password_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password",
		}
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	rejected := "changes $.repository.auth.type from execution"
	consequence := "has TYPE = GENERIC_STRING, auth type password needs TYPE = PASSWORD"
	teardown := "repolink teardown --sandbox --state-dir " + dir
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, password)
	if code != exitInvalid {
		t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	planned := "the secret has TYPE = GENERIC_STRING, but $.repository.auth.type password needs TYPE = PASSWORD"
	for _, want := range []string{"a run would be rejected: ", rejected, consequence, teardown, planned} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, password)
	assertUsage(t, "run with a password", code, errOut, rejected, consequence, teardown)
}
