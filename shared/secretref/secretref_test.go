package secretref

import (
	"os"
	"path/filepath"
	"testing"
)

const (
	awsARN   = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index"
	vaultURL = "azure-keyvault:https://kv-packages.vault.azure.net/secrets/index-token"
	gcpName  = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index-password"
)

// TestAllowsAliases checks each spelling that Same accepts as the same
// secret in both directions: the entry in the first column against the
// reference in the second, then the other way round.
func TestAllowsAliases(t *testing.T) {
	tests := []struct {
		name           string
		entry, ref     string
		entryAllowsRef bool
		refAllowsEntry bool
	}{
		{"same ARN", awsARN, awsARN, true, true},
		{"ARN suffix", awsARN, awsARN + "-AbC123", false, false},
		{"ARN name that looks like a suffix", awsARN, awsARN + "-prod01", false, false},
		{"ARN JSON key", awsARN, awsARN + "#password", true, false},
		{"ARN other JSON key", awsARN + "#token", awsARN + "#password", false, false},
		{"ARN same JSON key", awsARN + "#token", awsARN + "#token", true, true},
		{"ARN case of region", awsARN, "aws-secretsmanager:arn:aws:secretsmanager:US-WEST-2:123456789012:secret:repolink/index", true, true},
		{"ARN case of name", awsARN, "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/Index", false, false},
		{"ARN other account", awsARN, "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:210987654321:secret:repolink/index", false, false},
		{"AWS name", awsARN, "aws-secretsmanager:repolink/index", false, false},
		{"Key Vault case", vaultURL, "azure-keyvault:https://KV-PACKAGES.vault.azure.net/secrets/Index-Token", true, true},
		{"Key Vault version", vaultURL, vaultURL + "/0123abcd", true, false},
		{"Key Vault other version", vaultURL + "/0123abcd", vaultURL + "/4567ef01", false, false},
		{"Key Vault version case", vaultURL + "/0123abcd", vaultURL + "/0123ABCD", true, true},
		{"Key Vault other vault", vaultURL, "azure-keyvault:https://kv-other.vault.azure.net/secrets/index-token", false, false},
		{"Secret Manager version", gcpName, gcpName + "/versions/3", true, false},
		{"Secret Manager other version", gcpName + "/versions/3", gcpName + "/versions/4", false, false},
		{"Secret Manager latest", gcpName + "/versions/latest", gcpName, true, true},
		{"Secret Manager project number", gcpName, "gcp-secretmanager:projects/987654321/secrets/repolink-index-password", false, false},
		{"Secret Manager same project number", "gcp-secretmanager:projects/987654321/secrets/s", "gcp-secretmanager:projects/987654321/secrets/s", true, true},
		{"Secret Manager secret case", gcpName, "gcp-secretmanager:projects/corp-packages-prod/secrets/Repolink-Index-Password", false, false},
		{"other store", gcpName, "env:repolink-index-password", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry, ref := Parse(tt.entry), Parse(tt.ref)
			if got := entry.Allows(ref); got != tt.entryAllowsRef {
				t.Errorf("entry %s allows %s = %v, want %v", tt.entry, tt.ref, got, tt.entryAllowsRef)
			}
			if got := ref.Allows(entry); got != tt.refAllowsEntry {
				t.Errorf("entry %s allows %s = %v, want %v", tt.ref, tt.entry, got, tt.refAllowsEntry)
			}
		})
	}
}

func TestSameFileByHardLink(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	if err := os.WriteFile(key, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.pem")
	if err := os.Link(key, hard); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	if !Same("file:"+key, "file:"+hard) {
		t.Error("Same of a file and its hard link = false, want true")
	}
	if Same("file:"+key, "file:"+other) {
		t.Error("Same of two files with the same content = true, want false")
	}
	if Same("file:"+key, "file:"+filepath.Join(dir, "missing.pem")) {
		t.Error("Same of a file and a missing file = true, want false")
	}
}
