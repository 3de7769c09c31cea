package main

import (
	"strings"
	"testing"
)

func TestUpRejectsMalformedWebhookSecretRef(t *testing.T) {
	tests := []struct {
		ref  string
		want string
	}{
		{"env:", "--webhook-secret-ref is env: without a variable name"},
		{"file:", "--webhook-secret-ref is file: without a path"},
		{"aws-secretsmanager:", "--webhook-secret-ref is aws-secretsmanager: without a secret ARN"},
		{"azure-keyvault:", "--webhook-secret-ref is azure-keyvault: without a secret identifier"},
		{"gcp-secretmanager:", "--webhook-secret-ref is gcp-secretmanager: without a secret name"},
		{"whsec-literal-value", "--webhook-secret-ref must be a credential reference"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got := parseUpFlagsError(t, "--sandbox", "--webhook-secret-ref", tt.ref)
			if !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not contain %q", got, tt.want)
			}
			if strings.Contains(got, "whsec-literal-value") {
				t.Errorf("error %q shows the literal value", got)
			}
		})
	}
}
