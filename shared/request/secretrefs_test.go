package request

import (
	"errors"
	"strings"
	"testing"
)

const examplePasswordRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"

// parseWithPasswordRef parses the AWS example with
// $.repository.auth.password_ref set to ref.
func parseWithPasswordRef(t *testing.T, ref string) error {
	t.Helper()
	doc := validJSON()
	if !strings.Contains(doc, `"`+examplePasswordRef+`"`) {
		t.Fatalf("example request has no password_ref %s", examplePasswordRef)
	}
	doc = strings.Replace(doc, `"`+examplePasswordRef+`"`, `"`+ref+`"`, 1)
	_, err := Parse([]byte(doc))
	return err
}

func TestValidateSecretRefForms(t *testing.T) {
	valid := []string{
		examplePasswordRef,
		"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password-AbCdEf",
		"aws-secretsmanager:arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:index",
		"aws-secretsmanager:arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:index#password",
		"azure-keyvault:https://kv-packages.vault.azure.net/secrets/index-password",
		"azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password/0123abcd",
		"azure-keyvault:https://corp-kv.vault.azure.net/secrets/index-password/",
		"azure-keyvault:https://CORP-KV.VAULT.AZURE.NET/secrets/index-password",
		"gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index-password",
		"gcp-secretmanager:projects/corp-packages-prod/secrets/index_password/versions/3",
		"gcp-secretmanager:projects/123456789012/secrets/index/versions/latest",
		"gcp-secretmanager:projects/example.com:corp-packages/secrets/index/versions/1",
	}
	for _, ref := range valid {
		if err := parseWithPasswordRef(t, ref); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
}

func TestValidateMalformedSecretRefs(t *testing.T) {
	tests := []struct {
		name, ref, message string
	}{
		{"aws arn of another service", "aws-secretsmanager:arn:aws:s3:::corp-bucket/index-password",
			"not a Secrets Manager secret ARN"},
		{"aws arn without account", "aws-secretsmanager:arn:aws:secretsmanager:us-west-2::secret:index",
			"not a Secrets Manager secret ARN"},
		{"aws parameter arn", "aws-secretsmanager:arn:aws:ssm:us-west-2:123456789012:parameter/index",
			"not a Secrets Manager secret ARN"},
		{"aws secret name", "aws-secretsmanager:repolink/index-password",
			"reference to a secret name, not an ARN"},
		{"aws secret name with json key", "aws-secretsmanager:repolink/sf-key#pem",
			"reference to a secret name, not an ARN"},
		{"aws name with space", "aws-secretsmanager:index password",
			"not a Secrets Manager secret ARN"},
		{"aws empty json key", "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:index#",
			"empty JSON key"},
		{"azure other host", "azure-keyvault:https://kv-packages.example.com/secrets/index-password",
			"not a vault under .vault.azure.net"},
		{"azure host suffix trick", "azure-keyvault:https://kv.vault.azure.net.example.com/secrets/index-password",
			"not a vault under .vault.azure.net"},
		{"azure bare vault domain", "azure-keyvault:https://vault.azure.net/secrets/index-password",
			"not a vault under .vault.azure.net"},
		{"azure http", "azure-keyvault:http://kv-packages.vault.azure.net/secrets/index-password",
			"not an https:// secret identifier"},
		{"azure port", "azure-keyvault:https://kv-packages.vault.azure.net:8443/secrets/index-password",
			"a port"},
		{"azure percent-encoded name", "azure-keyvault:https://kv-packages.vault.azure.net/secrets/a%2Fb",
			"percent-encoding"},
		{"azure keys path", "azure-keyvault:https://kv-packages.vault.azure.net/keys/index-key",
			"not /secrets/NAME"},
		{"azure no name", "azure-keyvault:https://kv-packages.vault.azure.net/secrets/",
			"not /secrets/NAME"},
		{"azure name with underscore", "azure-keyvault:https://kv-packages.vault.azure.net/secrets/index_password",
			"not 1 to 127 letters, digits and hyphens"},
		{"gcp bare name", "gcp-secretmanager:index-password", "not a secret version name"},
		{"gcp empty version", "gcp-secretmanager:projects/p1/secrets/index/versions/", "not a secret version name"},
		{"gcp singular secret", "gcp-secretmanager:projects/p1/secret/index/versions/1", "not a secret version name"},
		{"gcp dot-dot project", "gcp-secretmanager:projects/../secrets/s", "not a secret version name"},
		{"gcp dot project", "gcp-secretmanager:projects/./secrets/s", "not a secret version name"},
		{"gcp dot-dot in domain", "gcp-secretmanager:projects/..:corp/secrets/s", "not a secret version name"},
		{"gcp dot in project ID", "gcp-secretmanager:projects/corp.packages/secrets/s", "not a secret version name"},
		{"gcp dot in secret", "gcp-secretmanager:projects/corp-packages/secrets/index.password", "not a secret version name"},
		{"gcp dot-dot version", "gcp-secretmanager:projects/corp-packages/secrets/s/versions/..", "not a secret version name"},
		{"gcp secret ID too long", "gcp-secretmanager:projects/corp-packages/secrets/" + strings.Repeat("s", 256), "not a secret version name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := invalidPasswordRef(t, tt.ref)
			if !strings.Contains(got.Message, tt.message) {
				t.Errorf("message %q does not contain %q", got.Message, tt.message)
			}
			if !strings.Contains(got.Message, "; use ") && !strings.Contains(got.Message, "; name the key") {
				t.Errorf("message %q does not say what to write instead", got.Message)
			}
			_, value, _ := strings.Cut(tt.ref, ":")
			if strings.Contains(err.Error(), value) {
				t.Errorf("error %q quotes the reference", err)
			}
		})
	}
}

func TestAWSSecretNameRefs(t *testing.T) {
	req := Request{
		Snowflake: Snowflake{PrivateKeyRef: "aws-secretsmanager:repolink/sf-key#pem"},
		Repository: Repository{Auth: Auth{Type: "password",
			PasswordRef: examplePasswordRef}},
	}
	got := req.AWSSecretNameRefs()
	if len(got) != 1 {
		t.Fatalf("got %d references, want 1: %+v", len(got), got)
	}
	if got[0].Path != "$.snowflake.private_key_ref" {
		t.Errorf("path = %s, want $.snowflake.private_key_ref", got[0].Path)
	}
}

func TestValidateRefWithoutRemainder(t *testing.T) {
	tests := []struct {
		ref, missing string
	}{
		{"env:", "without a variable name"},
		{"file:", "without a path"},
		{"aws-secretsmanager:", "without a secret ARN"},
		{"azure-keyvault:", "without a secret identifier"},
		{"gcp-secretmanager:", "without a secret name"},
	}
	for _, scheme := range RefSchemes {
		found := false
		for _, tt := range tests {
			found = found || tt.ref == scheme
		}
		if !found {
			t.Errorf("scheme %s has no case", scheme)
		}
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, _ := invalidPasswordRef(t, tt.ref)
			if !strings.Contains(got.Message, tt.missing) {
				t.Errorf("message %q does not contain %q", got.Message, tt.missing)
			}
			if strings.Contains(got.Message, "literal credentials") {
				t.Errorf("message %q calls a reference a literal credential", got.Message)
			}
			if !strings.Contains(got.Message, "such as "+tt.ref) {
				t.Errorf("message %q gives no example of the %s form", got.Message, tt.ref)
			}
		})
	}
}

func TestValidateMalformedLocalRefs(t *testing.T) {
	tests := []struct {
		name, ref, message string
	}{
		{"env name with equals sign", "env:INDEX=secret", "contains ="},
		{"env name after a space", "env: INDEX_PASSWORD", "whitespace or a control character"},
		{"env name with newline", `env:INDEX\nPASSWORD`, "whitespace or a control character"},
		{"env name with NUL", `env:INDEX\u0000`, "whitespace or a control character"},
		{"file path with NUL", `file:/run/secrets/index\u0000`, "NUL byte"},
		{"file path with newline", `file:/run/secrets/index\n`, "control character"},
		{"file path after a space", "file: /run/secrets/index", "starts or ends with whitespace"},
		{"file path before a space", "file:/run/secrets/index ", "starts or ends with whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := invalidPasswordRef(t, tt.ref)
			if !strings.Contains(got.Message, tt.message) {
				t.Errorf("message %q does not contain %q", got.Message, tt.message)
			}
			if !strings.Contains(got.Message, "such as ") {
				t.Errorf("message %q does not say what to write instead", got.Message)
			}
			if strings.Contains(err.Error(), "INDEX") || strings.Contains(err.Error(), "/run/secrets/index") {
				t.Errorf("error %q quotes the reference", err)
			}
		})
	}
}

func TestValidateLocalRefForms(t *testing.T) {
	for _, ref := range []string{"env:INDEX_PASSWORD", "env:ProgramFiles(x86)", "file:/run/secrets/index password", "file:index-password"} {
		if err := parseWithPasswordRef(t, ref); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
}

func TestValidateForTeardownRefWithoutRemainder(t *testing.T) {
	for _, scheme := range RefSchemes {
		t.Run(scheme, func(t *testing.T) {
			req := exampleRequest(t)
			req.Snowflake.PrivateKeyRef = scheme
			got := onlyFieldError(t, req.ValidateForTeardown())
			if got.Path != "$.snowflake.private_key_ref" {
				t.Errorf("path = %s, want $.snowflake.private_key_ref", got.Path)
			}
			if !strings.Contains(got.Message, "is "+scheme+" without ") {
				t.Errorf("message %q does not say what is missing after %s", got.Message, scheme)
			}
		})
	}
}

// invalidPasswordRef parses the example request with ref as its
// password_ref and returns the one field error and the whole error. It
// fails t unless that field error is on $.repository.auth.password_ref.
func invalidPasswordRef(t *testing.T, ref string) (FieldError, error) {
	t.Helper()
	err := parseWithPasswordRef(t, ref)
	got := onlyFieldError(t, err)
	if got.Path != "$.repository.auth.password_ref" {
		t.Errorf("path = %s, want $.repository.auth.password_ref", got.Path)
	}
	return got, err
}

// onlyFieldError returns the one field error of err, a *ValidationError.
func onlyFieldError(t *testing.T, err error) FieldError {
	t.Helper()
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	if len(invalid.Fields) != 1 {
		t.Fatalf("got %d field errors, want 1: %v", len(invalid.Fields), invalid)
	}
	return invalid.Fields[0]
}
