package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// Secrets Manager references that the Lambda deployment would read, so
// that a test records any read as a call to the fake AWS.
const (
	keyARN      = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/key-AbCdEf"
	passwordARN = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-AbCdEf"
)

// routeInput returns the preflight input for the request in an example
// file, with every credential reference moved to Secrets Manager and edit
// applied to the request document.
func routeInput(t *testing.T, example string, edit func(req map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/" + example)
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	req["snowflake"].(map[string]any)["private_key_ref"] = keyARN
	req["repository"].(map[string]any)["auth"].(map[string]any)["password_ref"] = passwordARN
	if edit != nil {
		edit(req)
	}
	return marshal(t, map[string]any{"request": req, "resources": map[string]any{}, "execution": "DATA-1-run"})
}

func TestBootstrapPreflightRejectsUnservedRoute(t *testing.T) {
	tests := []struct {
		name        string
		input       func(t *testing.T) []byte
		wantMessage string
	}{
		{
			name:        "azure-privatelink",
			input:       func(t *testing.T) []byte { return routeInput(t, "azure-privatelink.json", nil) },
			wantMessage: "$.route: the Lambda deployment has no Azure adapter; run azure-privatelink requests with the repolink command",
		},
		{
			name:        "gcp-privatelink",
			input:       func(t *testing.T) []byte { return routeInput(t, "gcp-privatelink.json", nil) },
			wantMessage: "$.route: the Lambda deployment has no Google Cloud adapter; run gcp-privatelink requests with the repolink command",
		},
		{
			name: "egress-ip on gcp",
			input: func(t *testing.T) []byte {
				return routeInput(t, "egress-ip.json", func(req map[string]any) {
					req["egress"] = map[string]any{"cloud": "gcp", "project": "corp-packages", "network": "vpc-packages", "port": 443}
				})
			},
			wantMessage: "$.egress.cloud: the Lambda deployment has no firewall adapter for gcp",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aws := newFakeAWS(t)
			// With the table and the machine names, preflight would also
			// take the request's run item before it ran.
			got := runBootstrap(t, "preflight", tt.input(t), aws, "REPOLINK_DYNAMODB_TABLE=rl-waits",
				"REPOLINK_STATE_MACHINE_NAME_PROVISION=rl-provision", "REPOLINK_STATE_MACHINE_NAME_TEARDOWN=rl-teardown")

			report := decodeError(t, got)
			if report.Type != workflow.ErrInvalidRequest {
				t.Errorf("errorType = %q, want %q (message %q)", report.Type, workflow.ErrInvalidRequest, report.Message)
			}
			if !strings.Contains(report.Message, tt.wantMessage) {
				t.Errorf("errorMessage = %q, want it to contain %q", report.Message, tt.wantMessage)
			}
			// No secret read, no run item and no listing of executions.
			if calls := aws.recorded(); len(calls) != 0 {
				t.Errorf("AWS calls = %v, want none before the route is rejected", calls)
			}
		})
	}
}

func TestBootstrapPreflightServedRouteRuns(t *testing.T) {
	aws := newFakeAWS(t)
	got := runBootstrap(t, "preflight", routeInput(t, "aws-privatelink.json", nil), aws)

	report := decodeError(t, got)
	if strings.Contains(report.Message, "Lambda deployment has no") {
		t.Errorf("errorMessage = %q, want a failure of the checks, not a rejected route", report.Message)
	}
	// The fake AWS has no Secrets Manager, so the first call is the read
	// of the repository credential, which fails.
	calls := aws.recorded()
	if len(calls) == 0 || calls[0] != "secretsmanager.GetSecretValue" {
		t.Errorf("AWS calls = %v, want the secret read first", calls)
	}
}
