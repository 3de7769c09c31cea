package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

const webhookARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/webhook"

func TestOwnSecretSpellings(t *testing.T) {
	dir := t.TempDir()
	hook := filepath.Join(dir, "hook")
	if err := os.WriteFile(hook, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(hook, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		own, ref string
		want     bool
	}{
		// AWS: the suffix, the JSON key, the name form and the scope.
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + webhookARN, true},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + webhookARN + "-AbC123", true},
		{"aws-secretsmanager:" + webhookARN + "-AbC123", "aws-secretsmanager:" + webhookARN, true},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + webhookARN + "#token", true},
		{"aws-secretsmanager:" + webhookARN + "#hook", "aws-secretsmanager:" + webhookARN + "#other", true},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:repolink/webhook", true},
		{"aws-secretsmanager:repolink/webhook", "aws-secretsmanager:" + webhookARN + "-AbC123", true},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + strings.ToUpper("arn:aws:secretsmanager:us-west-2") + ":123456789012:secret:repolink/webhook", true},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + strings.Replace(webhookARN, "us-west-2", "us-east-1", 1), false},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + strings.Replace(webhookARN, "123456789012", "210987654321", 1), false},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + strings.Replace(webhookARN, "webhook", "Webhook", 1), false},
		{"aws-secretsmanager:" + webhookARN, "aws-secretsmanager:" + webhookARN + "2", false},
		{"aws-secretsmanager:repolink/my-secret", "aws-secretsmanager:repolink/my-tokens", false},
		// Azure: case, version and trailing slash.
		{"azure-keyvault:https://ops.vault.azure.net/secrets/hook", "azure-keyvault:https://OPS.vault.azure.net/secrets/HOOK", true},
		{"azure-keyvault:https://ops.vault.azure.net/secrets/hook", "azure-keyvault:https://ops.vault.azure.net/secrets/hook/0123456789abcdef", true},
		{"azure-keyvault:https://ops.vault.azure.net/secrets/hook/", "azure-keyvault:https://ops.vault.azure.net/secrets/hook", true},
		{"azure-keyvault:https://ops.vault.azure.net/secrets/hook", "azure-keyvault:https://ops.vault.azure.net:443/secrets/hook", true},
		{"azure-keyvault:https://ops.vault.azure.net/secrets/hook", "azure-keyvault:https://dev.vault.azure.net/secrets/hook", false},
		{"azure-keyvault:https://ops.vault.azure.net/secrets/hook", "azure-keyvault:https://ops.vault.azure.net/secrets/hook2", false},
		// GCP: version, and a project number for a project ID.
		{"gcp-secretmanager:projects/ops/secrets/hook", "gcp-secretmanager:projects/ops/secrets/hook/versions/3", true},
		{"gcp-secretmanager:projects/ops/secrets/hook/versions/latest", "gcp-secretmanager:projects/ops/secrets/hook", true},
		{"gcp-secretmanager:projects/ops/secrets/hook", "gcp-secretmanager:projects/123456789012/secrets/hook", true},
		{"gcp-secretmanager:projects/ops/secrets/hook", "gcp-secretmanager:projects/dev/secrets/hook", false},
		{"gcp-secretmanager:projects/ops/secrets/hook", "gcp-secretmanager:projects/ops/secrets/Hook", false},
		// env: and file:, and no match across stores.
		{"env:REPOLINK_WEBHOOK_SECRET", "env:REPOLINK_WEBHOOK_SECRET", true},
		{"env:REPOLINK_WEBHOOK_SECRET", "env:repolink_webhook_secret", false},
		{"file:" + hook, "file:" + link, true},
		{"file:" + hook, "file:" + dir + "/./hook", true},
		{"env:hook", "file:hook", false},
		{"aws-secretsmanager:" + webhookARN, "gcp-secretmanager:projects/ops/secrets/webhook", false},
	}
	for _, tt := range tests {
		t.Run(tt.own+" "+tt.ref, func(t *testing.T) {
			list, err := AllowList{}.WithOwnSecrets([]string{"", tt.own})
			if err != nil {
				t.Fatal(err)
			}
			if got := list.NamesOwnSecret(tt.ref); got != tt.want {
				t.Errorf("NamesOwnSecret(%s) with own secret %s = %v, want %v", tt.ref, tt.own, got, tt.want)
			}
		})
	}
}

func TestOwnSecretFieldErrors(t *testing.T) {
	allow, err := ParseAllowList([]string{"env:REPOLINK_TEST_*"})
	if err != nil {
		t.Fatal(err)
	}
	allow, err = allow.WithOwnSecrets([]string{"aws-secretsmanager:" + webhookARN, "env:REPOLINK_TEST_HOOK"})
	if err != nil {
		t.Fatal(err)
	}
	req := request.Request{Repository: request.Repository{Auth: request.Auth{Type: "token", TokenRef: "aws-secretsmanager:" + webhookARN + "-AbC123"}},
		Snowflake: request.Snowflake{PrivateKeyRef: "env:REPOLINK_TEST_HOOK"}}
	fields := allow.FieldErrors(req, "FIX")
	if len(fields) != 2 {
		t.Fatalf("FieldErrors = %v, want 2", fields)
	}
	paths := map[string]string{}
	for _, f := range fields {
		paths[f.Path] = f.Message
	}
	for _, path := range []string{"$.repository.auth.token_ref", "$.snowflake.private_key_ref"} {
		if !strings.Contains(paths[path], "reads for itself") {
			t.Errorf("%s: message %q does not say that the secret is the service's own", path, paths[path])
		}
	}
	if allow.Allows("aws-secretsmanager:" + webhookARN) {
		t.Error("Allows accepted the service's own secret")
	}
	if !allow.Allows("aws-secretsmanager:" + strings.Replace(webhookARN, "webhook", "index", 1)) {
		t.Error("Allows rejected another secret of the same store")
	}
}

func TestRestrictedResolverRejectsOwnSecret(t *testing.T) {
	read := 0
	r := NewResolver()
	r.Register("aws-secretsmanager", StoreFunc(func(context.Context, string) (string, error) {
		read++
		return "service-secret-value", nil
	}))
	allow, err := AllowList{}.WithOwnSecrets([]string{"aws-secretsmanager:" + webhookARN})
	if err != nil {
		t.Fatal(err)
	}
	restricted := r.Restrict(allow, "FIX")

	_, err = restricted.Resolve(context.Background(), "aws-secretsmanager:"+webhookARN+"-AbC123#token")
	var own *OwnSecretError
	if !errors.As(err, &own) {
		t.Fatalf("Resolve = %v, want an *OwnSecretError", err)
	}
	if strings.Contains(err.Error(), "service-secret-value") {
		t.Errorf("error %q contains the secret", err)
	}
	if read != 0 {
		t.Errorf("the store was read %d times, want none", read)
	}
	if _, err := restricted.Resolve(context.Background(), "aws-secretsmanager:"+strings.Replace(webhookARN, "webhook", "index", 1)); err != nil {
		t.Errorf("Resolve of another secret = %v, want nil", err)
	}
	if _, err := r.Resolve(context.Background(), "aws-secretsmanager:"+webhookARN); err != nil {
		t.Errorf("the unrestricted resolver = %v, want the service's secret", err)
	}
}
