package main

import (
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
