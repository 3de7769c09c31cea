package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want config
	}{
		{
			name: "step",
			env:  map[string]string{"REPOLINK_HANDLER": "proxy_vm", "AWS_REGION": "us-west-2"},
			want: config{Handler: "proxy_vm", Region: "us-west-2"},
		},
		{
			name: "await_endpoint with deadline",
			env: map[string]string{"REPOLINK_HANDLER": "await_endpoint", "REPOLINK_DYNAMODB_TABLE": "waits",
				"REPOLINK_WAIT_DEADLINE": "36h"},
			want: config{Handler: "await_endpoint", Table: "waits", WaitDeadline: 36 * time.Hour},
		},
		{
			name: "secret with codeartifact domains",
			env:  map[string]string{"REPOLINK_HANDLER": "secret", "REPOLINK_CODEARTIFACT_DOMAINS": "arn:aws:codeartifact:eu-west-1:111122223333:domain/corp"},
			want: config{Handler: "secret", CodeArtifactDomains: "arn:aws:codeartifact:eu-west-1:111122223333:domain/corp"},
		},
		{
			name: "webhook with the stack's names",
			env: map[string]string{"REPOLINK_HANDLER": "webhook", "REPOLINK_WAITS_TABLE": "rl-waits",
				"REPOLINK_STATE_MACHINE_ARN_PROVISION": "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
				"REPOLINK_WEBHOOK_SECRET_ARN":          "arn:aws:secretsmanager:us-west-2:123456789012:secret:hook-Ab12Cd"},
			want: config{Handler: "webhook", Table: "rl-waits",
				StateMachineARN:  "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
				WebhookSecretARN: "arn:aws:secretsmanager:us-west-2:123456789012:secret:hook-Ab12Cd"},
		},
		{
			name: "first name wins",
			env: map[string]string{"REPOLINK_HANDLER": "poller", "REPOLINK_DYNAMODB_TABLE": "primary",
				"REPOLINK_WAITS_TABLE": "fallback"},
			want: config{Handler: "poller", Table: "primary"},
		},
		{
			name: "operations with the stack's name",
			env: map[string]string{"REPOLINK_HANDLER": "operations",
				"REPOLINK_STATE_MACHINE_ARN_PROVISION": "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
				"REPOLINK_STATE_MACHINE_ARN_TEARDOWN":  "arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown"},
			want: config{Handler: "operations", StateMachineARN: "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
				TeardownStateMachineARN: "arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown"},
		},
		{
			name: "notifier needs nothing more",
			env:  map[string]string{"REPOLINK_HANDLER": "notifier"},
			want: config{Handler: "notifier"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(func(name string) string { return tt.env[name] })
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("loadConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no handler", map[string]string{}, []string{"REPOLINK_HANDLER is not set"}},
		{"poller without table", map[string]string{"REPOLINK_HANDLER": "poller"}, []string{"REPOLINK_DYNAMODB_TABLE is not set"}},
		{"await_endpoint without table", map[string]string{"REPOLINK_HANDLER": "await_endpoint"}, []string{"REPOLINK_DYNAMODB_TABLE is not set"}},
		{
			name: "webhook without anything",
			env:  map[string]string{"REPOLINK_HANDLER": "webhook"},
			want: []string{"REPOLINK_DYNAMODB_TABLE is not set", "REPOLINK_STATE_MACHINE_ARN is not set", "REPOLINK_WEBHOOK_SECRET_ARN is not set"},
		},
		{"operations without machine", map[string]string{"REPOLINK_HANDLER": "operations"}, []string{"REPOLINK_STATE_MACHINE_ARN_PROVISION is not set"}},
		{"deadline without unit", map[string]string{"REPOLINK_HANDLER": "secret", "REPOLINK_WAIT_DEADLINE": "24"}, []string{`REPOLINK_WAIT_DEADLINE="24" is not a positive duration`}},
		{"codeartifact domain name", map[string]string{"REPOLINK_HANDLER": "secret", "REPOLINK_CODEARTIFACT_DOMAINS": "corp"}, []string{"REPOLINK_CODEARTIFACT_DOMAINS", "is not a CodeArtifact domain ARN"}},
		{"negative deadline", map[string]string{"REPOLINK_HANDLER": "secret", "REPOLINK_WAIT_DEADLINE": "-1h"}, []string{"is not a positive duration"}},
		{"env: entry in the secret references", map[string]string{"REPOLINK_HANDLER": "secret", "REPOLINK_ALLOW_SECRET_REFS": "env:INDEX_TOKEN"},
			[]string{"REPOLINK_ALLOW_SECRET_REFS", "must start with aws-secretsmanager:"}},
		{"scheme only in the secret references", map[string]string{"REPOLINK_HANDLER": "secret", "REPOLINK_ALLOW_SECRET_REFS": "aws-secretsmanager:"},
			[]string{"REPOLINK_ALLOW_SECRET_REFS", `"aws-secretsmanager:"`}},
		{"empty entry in the secret references", map[string]string{"REPOLINK_HANDLER": "secret",
			"REPOLINK_ALLOW_SECRET_REFS": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:x,,"},
			[]string{"REPOLINK_ALLOW_SECRET_REFS", "entry 2 of 3 is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(func(name string) string { return tt.env[name] })
			if err == nil {
				t.Fatal("loadConfig: nil error, want one")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}
