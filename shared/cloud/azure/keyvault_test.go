package azure

import (
	"net/url"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/azuresim"
)

func TestParseKeyVaultRef(t *testing.T) {
	tests := []struct {
		ref         string
		vault, name string
		version     string
		wantErr     bool
	}{
		{ref: "azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password", vault: "https://corp-kv.vault.azure.net", name: "index-password"},
		{ref: "azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password/0123abcd", vault: "https://corp-kv.vault.azure.net", name: "index-password", version: "0123abcd"},
		{ref: "azure-keyvault:https://Corp-KV.Vault.Azure.Net/secrets/index-password", vault: "https://corp-kv.vault.azure.net", name: "index-password"},
		{ref: "azure-keyvault:http://corp-kv.vault.azure.net/secrets/x", wantErr: true},
		{ref: "azure-keyvault:https://corp-kv.vault.azure.net/keys/x", wantErr: true},
		{ref: "azure-keyvault:https://corp-kv.vault.azure.net/secrets/", wantErr: true},
		{ref: "azure-keyvault:corp-kv/x", wantErr: true},
		{ref: "env:X", wantErr: true},
	}
	for _, tt := range tests {
		vault, name, version, err := ParseKeyVaultRef(tt.ref)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseKeyVaultRef(%q) error = %v, want error %v", tt.ref, err, tt.wantErr)
			continue
		}
		if vault != tt.vault || name != tt.name || version != tt.version {
			t.Errorf("ParseKeyVaultRef(%q) = %q, %q, %q; want %q, %q, %q", tt.ref, vault, name, version, tt.vault, tt.name, tt.version)
		}
	}
}

func TestKeyVaultResolveFromSandbox(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	const value = "s3cret-@#%/^-value"
	if err := f.sim.PutSecret("corp-kv", "index-password", value); err != nil {
		t.Fatal(err)
	}
	kv, err := NewKeyVault(f.opts, func(vaultURL string) string {
		u, _ := url.Parse(vaultURL)
		return f.sim.VaultURL(strings.Split(u.Host, ".")[0])
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := kv.Resolve(t.Context(), "azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got != value {
		t.Error("Resolve returned another value than the stored secret")
	}
	if !anyRequest(f.sim, "GET", "/vaults/corp-kv/secrets/index-password") {
		t.Error("no request reached the sandbox vault")
	}

	_, err = kv.Resolve(t.Context(), "azure-keyvault:https://corp-kv.vault.azure.net/secrets/missing")
	if err == nil || !strings.Contains(err.Error(), "SecretNotFound") {
		t.Errorf("Resolve of a missing secret error = %v, want SecretNotFound", err)
	}
	_, err = kv.Resolve(t.Context(), "azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password/0000")
	if err == nil {
		t.Error("Resolve of an unknown version succeeded")
	} else if strings.Contains(err.Error(), value) {
		t.Error("the error message contains the secret value")
	}
}
