package sandbox

import (
	"strings"
	"testing"
)

// TestSeedKeyVaultSecretVersion checks that a Key Vault reference that
// names a version gets the secret in that version, and that a reference
// to another version of it fails with advice.
func TestSeedKeyVaultSecretVersion(t *testing.T) {
	sb, _ := startCorpSandbox(t.Context(), t)
	const version = "0123456789abcdef0123456789abcdef"
	ref := "azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password/" + version

	if err := sb.ensureSecret(ref, randomPassword); err != nil {
		t.Fatalf("seed %s: %v", ref, err)
	}
	if got, _ := sb.Azure.SecretVersion("corp-kv", "index-password"); got != version {
		t.Errorf("version of the seeded secret = %q, want %q", got, version)
	}
	if err := sb.ensureSecret(ref, randomPassword); err != nil {
		t.Errorf("seed %s again: %v", ref, err)
	}
	if err := sb.ensureSecret("azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password", randomPassword); err != nil {
		t.Errorf("seed the reference without a version: %v", err)
	}

	other := "azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password/fedcba9876543210fedcba9876543210"
	err := sb.ensureSecret(other, randomPassword)
	if err == nil || !strings.Contains(err.Error(), "name version "+version+" or no version") {
		t.Errorf("seed %s: error = %v, want advice naming version %s", other, err, version)
	}
}

// TestSeedSecretManagerVersion checks that a Secret Manager reference to
// version N gets a secret with N versions, and that later references to
// the latest or an earlier version add none.
func TestSeedSecretManagerVersion(t *testing.T) {
	sb, _ := startCorpSandbox(t.Context(), t)
	const name = "projects/corp/secrets/index-password"

	if err := sb.ensureSecret("gcp-secretmanager:"+name+"/versions/3", randomPassword); err != nil {
		t.Fatalf("seed version 3: %v", err)
	}
	if got := sb.GCP.SecretVersions(name); got != 3 {
		t.Errorf("versions after seeding version 3 = %d, want 3", got)
	}
	for _, version := range []string{"latest", "2", "3"} {
		if err := sb.ensureSecret("gcp-secretmanager:"+name+"/versions/"+version, randomPassword); err != nil {
			t.Errorf("seed version %s: %v", version, err)
		}
	}
	if got := sb.GCP.SecretVersions(name); got != 3 {
		t.Errorf("versions after seeding latest, 2 and 3 = %d, want 3", got)
	}
}
