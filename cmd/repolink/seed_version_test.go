package main

import (
	"strings"
	"testing"
)

// TestSandboxSecretVersionConflict runs the Azure example with an index
// password reference that names one version, then with another version of
// the same secret, which the sandbox vault lacks. The second run exits 2
// naming the field, because only a change to the request fixes it.
func TestSandboxSecretVersionConflict(t *testing.T) {
	dir := t.TempDir()
	const secret = "azure-keyvault:https://kv-packages.vault.azure.net/secrets/index-password/"
	withVersion := func(version string) string {
		return writeExampleEdit(t, "../../examples/azure-privatelink.json", func(doc map[string]any) {
			auth := section(section(doc, "repository"), "auth")
			auth["password_ref"] = secret + version
		})
	}

	first := withVersion("0123456789abcdef0123456789abcdef")
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("run with version 0123...: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	second := withVersion("11111111111111111111111111111111")
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run with another version", code, errOut, "$.repository.auth.password_ref",
		"name version 0123456789abcdef0123456789abcdef or no version", "nothing was created")
}

// TestPlanSecretVersionConflict checks that plan reports a run of a request
// whose secret version the sandbox lacks as rejected, with exit 2, as run
// rejects it.
func TestPlanSecretVersionConflict(t *testing.T) {
	dir := t.TempDir()
	const secret = "azure-keyvault:https://kv-packages.vault.azure.net/secrets/index-password/"
	withVersion := func(version string) string {
		return writeExampleEdit(t, "../../examples/azure-privatelink.json", func(doc map[string]any) {
			auth := section(section(doc, "repository"), "auth")
			auth["password_ref"] = secret + version
		})
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, withVersion("0123456789abcdef0123456789abcdef")); code != exitOK {
		t.Fatalf("run with version 0123...: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, withVersion("11111111111111111111111111111111"))
	if code != exitInvalid {
		t.Errorf("plan with another version: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "a run would be rejected: $.repository.auth.password_ref: ") {
		t.Errorf("plan output does not report the rejection:\n%s", out)
	}
}
