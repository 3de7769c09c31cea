package request

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const snowflakeKeyARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/snowflake-key"

// parseExample parses the AWS example request. Tests that change the
// working directory call it first, because it reads the example by a
// relative path.
func parseExample(t *testing.T) Request {
	t.Helper()
	req, err := Parse([]byte(validJSON()))
	if err != nil {
		t.Fatalf("parse example: %v", err)
	}
	return req
}

// validateWithRefs validates req with the Snowflake key, the passphrase
// and the index credential replaced. An empty passphrase leaves it unset,
// and authType picks the index credential field.
func validateWithRefs(req Request, key, passphrase, authType, index string) error {
	req.Snowflake.PrivateKeyRef = key
	req.Snowflake.PrivateKeyPassphraseRef = passphrase
	req.Repository.Auth = Auth{Type: authType}
	if authType == "password" {
		req.Repository.Auth.Username = "svc-snowflake"
		req.Repository.Auth.PasswordRef = index
	} else {
		req.Repository.Auth.TokenRef = index
	}
	return req.Validate()
}

func TestIndexCredentialNamesSnowflakeSecret(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "snowflake-key")
	if err := os.WriteFile(keyFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "index-token")
	if err := os.Symlink(keyFile, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(keyFile, filepath.Join(dir, "hard-link")); err != nil {
		t.Fatal(err)
	}
	example := parseExample(t)
	t.Chdir(dir)

	tests := []struct {
		name, key, passphrase, index, snowflakePath string
	}{
		{"same ARN", "aws-secretsmanager:" + snowflakeKeyARN, "", "aws-secretsmanager:" + snowflakeKeyARN, "$.snowflake.private_key_ref"},
		{"ARN suffix", "aws-secretsmanager:" + snowflakeKeyARN, "", "aws-secretsmanager:" + snowflakeKeyARN + "-AbC123", "$.snowflake.private_key_ref"},
		{"JSON key", "aws-secretsmanager:" + snowflakeKeyARN + "#key", "", "aws-secretsmanager:" + snowflakeKeyARN + "#password", "$.snowflake.private_key_ref"},
		{"ARN suffix and JSON key", "aws-secretsmanager:" + snowflakeKeyARN + "-AbC123#key", "",
			"aws-secretsmanager:" + snowflakeKeyARN + "#token", "$.snowflake.private_key_ref"},
		{"Key Vault version and case", "azure-keyvault:https://kv-packages.vault.azure.net/secrets/snowflake-key", "",
			"azure-keyvault:https://KV-PACKAGES.vault.azure.net/secrets/Snowflake-Key/0123abcd", "$.snowflake.private_key_ref"},
		{"Secret Manager version and project number", "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-snowflake-key", "",
			"gcp-secretmanager:projects/123456789012/secrets/repolink-snowflake-key/versions/3", "$.snowflake.private_key_ref"},
		{"env", "env:SNOWFLAKE_KEY", "", "env:SNOWFLAKE_KEY", "$.snowflake.private_key_ref"},
		{"relative file", "file:" + keyFile, "", "file:./snowflake-key", "$.snowflake.private_key_ref"},
		{"file by symbolic link", "file:" + keyFile, "", "file:" + link, "$.snowflake.private_key_ref"},
		{"file by hard link", "file:" + keyFile, "", "file:hard-link", "$.snowflake.private_key_ref"},
		{"file not yet created", "file:" + dir + "/later", "", "file:" + dir + "/sub/../later", "$.snowflake.private_key_ref"},
		{"passphrase", "aws-secretsmanager:" + snowflakeKeyARN, "env:SNOWFLAKE_PASSPHRASE", "env:SNOWFLAKE_PASSPHRASE", "$.snowflake.private_key_passphrase_ref"},
	}
	for _, tt := range tests {
		for _, authType := range []string{"password", "token"} {
			t.Run(tt.name+" "+authType, func(t *testing.T) {
				indexPath := "$.repository.auth.password_ref"
				if authType == "token" {
					indexPath = "$.repository.auth.token_ref"
				}
				err := validateWithRefs(example, tt.key, tt.passphrase, authType, tt.index)
				var invalid *ValidationError
				if !errors.As(err, &invalid) {
					t.Fatalf("Validate() = %v, want a *ValidationError", err)
				}
				if len(invalid.Fields) != 1 {
					t.Fatalf("fields = %+v, want one error", invalid.Fields)
				}
				if got := invalid.Fields[0].Path; got != indexPath {
					t.Errorf("path = %s, want %s", got, indexPath)
				}
				if msg := invalid.Fields[0].Message; !strings.Contains(msg, "names the same secret as "+tt.snowflakePath) {
					t.Errorf("message %q does not name %s", msg, tt.snowflakePath)
				}
			})
		}
	}
}

func TestIndexCredentialOtherSecretAccepted(t *testing.T) {
	tests := []struct{ name, key, index string }{
		{"other ARN name", "aws-secretsmanager:" + snowflakeKeyARN, "aws-secretsmanager:" + strings.Replace(snowflakeKeyARN, "snowflake-key", "index-token", 1)},
		{"other account", "aws-secretsmanager:" + snowflakeKeyARN, "aws-secretsmanager:" + strings.Replace(snowflakeKeyARN, "123456789012", "210987654321", 1)},
		{"ARN name case", "aws-secretsmanager:" + snowflakeKeyARN, "aws-secretsmanager:" + strings.Replace(snowflakeKeyARN, "snowflake-key", "Snowflake-Key", 1)},
		{"other vault", "azure-keyvault:https://kv-packages.vault.azure.net/secrets/snowflake-key", "azure-keyvault:https://kv-index.vault.azure.net/secrets/snowflake-key"},
		{"other store", "env:SNOWFLAKE_KEY", "file:/run/secrets/SNOWFLAKE_KEY"},
	}
	example := parseExample(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validateWithRefs(example, tt.key, "", "token", tt.index); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}
