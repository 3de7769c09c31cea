package secretref

import (
	"slices"
	"testing"
)

// TestKeysShareKeyWhenSame checks that two references that Same matches
// share a lookup key, for each spelling that Same lets match.
func TestKeysShareKeyWhenSame(t *testing.T) {
	pairs := [][2]string{
		{"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:index-AbC123", "aws-secretsmanager:index"},
		{"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:index-AbC123#password",
			"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:index"},
		{"aws-secretsmanager:index-AbC123-XyZ789", "aws-secretsmanager:index-AbC123"},
		{"gcp-secretmanager:projects/corp/secrets/index", "gcp-secretmanager:projects/123456/secrets/index/versions/2"},
		{"azure-keyvault:https://KV.vault.azure.net/secrets/Index", "azure-keyvault:https://kv.vault.azure.net/secrets/index/abc"},
		{"env:INDEX_TOKEN", "env:INDEX_TOKEN"},
	}
	for _, p := range pairs {
		a, b := Parse(p[0]), Parse(p[1])
		if !a.Same(b) {
			t.Fatalf("%s and %s: Same is false, so the case tests nothing", p[0], p[1])
		}
		if !slices.ContainsFunc(a.Keys(), func(k string) bool { return slices.Contains(b.Keys(), k) }) {
			t.Errorf("%s and %s: keys %q and %q share none", p[0], p[1], a.Keys(), b.Keys())
		}
	}
}

// TestKeysDifferForOtherSecrets checks that references of different
// secrets in one store get different keys.
func TestKeysDifferForOtherSecrets(t *testing.T) {
	a := Parse("aws-secretsmanager:index-password").Keys()
	b := Parse("aws-secretsmanager:mirror-password").Keys()
	if slices.ContainsFunc(a, func(k string) bool { return slices.Contains(b, k) }) {
		t.Errorf("keys %q and %q share a key", a, b)
	}
}
