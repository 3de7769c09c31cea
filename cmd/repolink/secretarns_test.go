package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

func TestRunRejectsMalformedSecretRefs(t *testing.T) {
	const exampleRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"
	tests := []struct {
		name, ref, message string
	}{
		{"aws secret name", "aws-secretsmanager:notanarn", "reference to a secret name, not an ARN"},
		{"aws arn of another service", "aws-secretsmanager:arn:aws:s3:::corp-bucket", "not a Secrets Manager secret ARN"},
		{"azure host outside vault.azure.net", "azure-keyvault:https://kv-packages.example.com/secrets/index-password",
			"not a vault under .vault.azure.net"},
		{"gcp name without project", "gcp-secretmanager:index-password", "not a secret version name"},
	}
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"`+exampleRef+`"`) {
		t.Fatalf("example request has no reference %s", exampleRef)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(string(data), `"`+exampleRef+`"`, `"`+tt.ref+`"`, 1)
			path := filepath.Join(t.TempDir(), "request.json")
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "state")

			code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, path)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, "$.repository.auth.password_ref: ") {
				t.Errorf("stderr %q does not name $.repository.auth.password_ref", errOut)
			}
			if !strings.Contains(errOut, tt.message) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.message)
			}
			if !strings.Contains(errOut, "nothing was created") {
				t.Errorf("stderr %q does not say that nothing was created", errOut)
			}
		})
	}
}

func TestReadDocumentRejectsSecretName(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		section(section(doc, "repository"), "auth")["password_ref"] = "aws-secretsmanager:repolink/index-password"
	}))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(path, []byte(`{"request": `+string(requestJSON)+`}`), 0o600); err != nil {
		t.Fatal(err)
	}

	_, _, err = readDocument(path)
	if err == nil {
		t.Fatal("readDocument accepted a secret name in place of an ARN")
	}
	if !strings.Contains(err.Error(), "$.request.repository.auth.password_ref: is an aws-secretsmanager: reference to a secret name") {
		t.Errorf("error %q does not name $.request.repository.auth.password_ref", err)
	}
}

func TestServiceRejectsSecretName(t *testing.T) {
	const nameRef = "aws-secretsmanager:repolink/snowflake-key"
	data, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		section(doc, "snowflake")["private_key_ref"] = nameRef
	}))
	if err != nil {
		t.Fatal(err)
	}
	// The shared request check rejects a secret name, as every deployment
	// does.
	_, err = request.Parse(data)
	var parseInvalid *request.ValidationError
	if !errors.As(err, &parseInvalid) {
		t.Fatalf("Parse = %v, want a *request.ValidationError", err)
	}
	if !strings.Contains(err.Error(), "$.snowflake.private_key_ref: is an aws-secretsmanager: reference to a secret name, not an ARN") {
		t.Errorf("Parse error %q does not reject the secret name", err)
	}

	// The check of repolink up rejects it as well, in a request that did
	// not pass through Parse with it.
	req, err := request.Parse(validRequestData(t))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.Snowflake.PrivateKeyRef = nameRef
	s := &serviceExecutions{sandbox: true, hosts: []string{defaultSandboxHosts}}
	err = s.check(req)
	var invalid *request.ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("check = %v, want a *request.ValidationError", err)
	}
	if len(invalid.Fields) != 1 {
		t.Fatalf("got %d field errors, want 1: %v", len(invalid.Fields), invalid)
	}
	if got := invalid.Fields[0].Path; got != "$.snowflake.private_key_ref" {
		t.Errorf("path = %s, want $.snowflake.private_key_ref", got)
	}
}

// validRequestData returns the AWS example request.
func validRequestData(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
