package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	exampleSecretARN  = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/snowflake-key-AbC123"
	exampleSecretARN2 = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/pypi-password-xYz789"
	exampleWebhookARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/webhook-hmac-Q1w2E3"
	exampleKeyARN     = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	exampleTopicARN   = "arn:aws:sns:us-west-2:123456789012:repolink-alarms"
	exampleDomainARN  = "arn:aws:codeartifact:us-west-2:123456789012:domain/corp"
	exampleDomainARN2 = "arn:aws:codeartifact:eu-west-1:111122223333:domain/shared-packages"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		env     map[string]string
		want    Config
	}{
		{
			name: "defaults",
			want: Config{
				Prefix:           "repolink",
				LogRetentionDays: 30,
				WaitDeadline:     8 * 24 * time.Hour,
				AssetDir:         "../bin/lambda",
				StateMachineDir:  "../statemachines",

				EgressRefreshInterval: 6 * time.Hour,
			},
		},
		{
			name: "environment",
			env: map[string]string{
				"REPOLINK_PREFIX":             "rl-prod",
				"REPOLINK_SECRET_ARNS":        exampleSecretARN + ", " + exampleSecretARN2,
				"REPOLINK_WEBHOOK_SECRET_ARN": exampleWebhookARN,
				"REPOLINK_SECRETS_KEY_ARN":    exampleKeyARN,
				"REPOLINK_ALARM_TOPIC_ARN":    exampleTopicARN,
				"REPOLINK_LOG_RETENTION_DAYS": "90",
				"REPOLINK_WAIT_DEADLINE":      "36h",
				"REPOLINK_ASSET_DIR":          "/tmp/assets",

				"REPOLINK_EGRESS_REFRESH_REQUESTS":   "requests/a.json, requests/b.json",
				"REPOLINK_EGRESS_REFRESH_INTERVAL":   "90m",
				"REPOLINK_EGRESS_SECURITY_GROUP_IDS": "sg-0a1b2c3d4e5f60718,sg-12345678",
				"REPOLINK_EGRESS_ANY_SECURITY_GROUP": "false",
				"REPOLINK_CODEARTIFACT_DOMAIN_ARNS":  exampleDomainARN + "," + exampleDomainARN2,
				"REPOLINK_CODEARTIFACT_ANY_DOMAIN":   "true",
			},
			want: Config{
				Prefix:           "rl-prod",
				SecretARNs:       []string{exampleSecretARN, exampleSecretARN2},
				WebhookSecretARN: exampleWebhookARN,
				SecretsKeyARN:    exampleKeyARN,
				AlarmTopicARN:    exampleTopicARN,
				LogRetentionDays: 90,
				WaitDeadline:     36 * time.Hour,
				AssetDir:         "/tmp/assets",
				StateMachineDir:  "../statemachines",

				EgressRefreshRequests:  []string{"requests/a.json", "requests/b.json"},
				EgressRefreshInterval:  90 * time.Minute,
				EgressSecurityGroupIDs: []string{"sg-0a1b2c3d4e5f60718", "sg-12345678"},
				CodeArtifactDomainARNs: []string{exampleDomainARN, exampleDomainARN2},
				CodeArtifactAnyDomain:  true,
			},
		},
		{
			name: "context wins over environment",
			context: map[string]any{
				"prefix":                 "ctx",
				"egressAnySecurityGroup": "true",
				"secretArns":             []any{exampleSecretARN},
				"logRetentionDays":       float64(7),
			},
			env: map[string]string{
				"REPOLINK_PREFIX":             "env",
				"REPOLINK_SECRET_ARNS":        exampleSecretARN2,
				"REPOLINK_LOG_RETENTION_DAYS": "90",
			},
			want: Config{
				Prefix:           "ctx",
				SecretARNs:       []string{exampleSecretARN},
				LogRetentionDays: 7,
				WaitDeadline:     8 * 24 * time.Hour,
				AssetDir:         "../bin/lambda",
				StateMachineDir:  "../statemachines",

				EgressRefreshInterval:  6 * time.Hour,
				EgressAnySecurityGroup: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(mapContext(tt.context), mapEnv(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadConfig mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigRejects(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		problem string
	}{
		{"prefix with capitals", map[string]string{"REPOLINK_PREFIX": "RepoLink"}, "context prefix"},
		{"partial secret ARN", map[string]string{"REPOLINK_SECRET_ARNS": "arn:aws:secretsmanager:us-west-2:123456789012:secret:key"}, "context secretArns"},
		{"secret name instead of ARN", map[string]string{"REPOLINK_WEBHOOK_SECRET_ARN": "repolink/webhook"}, "context webhookSecretArn"},
		{"alias instead of key ARN", map[string]string{"REPOLINK_SECRETS_KEY_ARN": "alias/secrets"}, "context secretsKeyArn"},
		{"topic name instead of ARN", map[string]string{"REPOLINK_ALARM_TOPIC_ARN": "alarms"}, "context alarmTopicArn"},
		{"retention CloudWatch rejects", map[string]string{"REPOLINK_LOG_RETENTION_DAYS": "10"}, "context logRetentionDays"},
		{"retention not a number", map[string]string{"REPOLINK_LOG_RETENTION_DAYS": "month"}, "context logRetentionDays"},
		{"deadline without unit", map[string]string{"REPOLINK_WAIT_DEADLINE": "24"}, "context waitDeadline"},
		{"deadline too short", map[string]string{"REPOLINK_WAIT_DEADLINE": "30s"}, "context waitDeadline"},
		{"refresh interval too short", map[string]string{"REPOLINK_EGRESS_REFRESH_INTERVAL": "30s"}, "context egressRefreshInterval"},
		{"refresh interval in seconds", map[string]string{"REPOLINK_EGRESS_REFRESH_INTERVAL": "90s"}, "context egressRefreshInterval"},
		{"security group name", map[string]string{"REPOLINK_EGRESS_SECURITY_GROUP_IDS": "default"}, "context egressSecurityGroupIds"},
		{"any security group not a boolean", map[string]string{"REPOLINK_EGRESS_ANY_SECURITY_GROUP": "all"}, "context egressAnySecurityGroup"},
		{"any domain not a boolean", map[string]string{"REPOLINK_CODEARTIFACT_ANY_DOMAIN": "yes please"}, "context codeArtifactAnyDomain"},
		{"domain name instead of ARN", map[string]string{"REPOLINK_CODEARTIFACT_DOMAIN_ARNS": "corp"}, "context codeArtifactDomainArns"},
		{"env: entry in secret references", map[string]string{"REPOLINK_ALLOW_SECRET_REFS": "env:INDEX_TOKEN"}, "context allowSecretRefs"},
		{"secret name in secret references", map[string]string{"REPOLINK_ALLOW_SECRET_REFS": "aws-secretsmanager:repolink/index"}, "context allowSecretRefs"},
		{"repository ARN instead of domain", map[string]string{
			"REPOLINK_CODEARTIFACT_DOMAIN_ARNS": "arn:aws:codeartifact:us-west-2:123456789012:repository/corp/pypi",
		}, "context codeArtifactDomainArns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(mapContext(nil), mapEnv(tt.env))
			if err == nil {
				t.Fatal("LoadConfig returned no error")
			}
			if !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error %q does not name %q", err, tt.problem)
			}
		})
	}
}

func TestLoadConfigReportsAllProblems(t *testing.T) {
	env := map[string]string{
		"REPOLINK_PREFIX":        "Bad Prefix",
		"REPOLINK_WAIT_DEADLINE": "soon",
	}
	_, err := LoadConfig(mapContext(nil), mapEnv(env))
	if err == nil {
		t.Fatal("LoadConfig returned no error")
	}
	for _, name := range []string{"REPOLINK_PREFIX", "REPOLINK_WAIT_DEADLINE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadConfigReportsDeadlineWithOthers(t *testing.T) {
	env := map[string]string{
		"REPOLINK_PREFIX":             "Bad_Prefix",
		"REPOLINK_WAIT_DEADLINE":      "300h",
		"REPOLINK_ALARM_TOPIC_ARN":    "alarms",
		"REPOLINK_LOG_RETENTION_DAYS": "10",
	}
	_, err := LoadConfig(mapContext(nil), mapEnv(env))
	if err == nil {
		t.Fatal("LoadConfig returned no error")
	}
	for _, name := range []string{"REPOLINK_PREFIX", "REPOLINK_ALARM_TOPIC_ARN", "REPOLINK_LOG_RETENTION_DAYS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if !strings.Contains(err.Error(), `REPOLINK_WAIT_DEADLINE) = "300h" is invalid`) {
		t.Errorf("error %q does not name the wait deadline that outlasts the callback task", err)
	}
	if !strings.Contains(err.Error(), "777600s") {
		t.Errorf("error %q does not give the callback task's TimeoutSeconds", err)
	}
}

func TestLoadConfigDeadlineShorterThanTimeout(t *testing.T) {
	_, err := LoadConfig(mapContext(nil), mapEnv(map[string]string{"REPOLINK_WAIT_DEADLINE": "215h"}))
	if err != nil {
		t.Errorf("LoadConfig rejected a deadline shorter than the callback timeout: %v", err)
	}
}

func mapContext(values map[string]any) func(string) any {
	return func(key string) any { return values[key] }
}

func mapEnv(values map[string]string) func(string) string {
	return func(key string) string { return values[key] }
}
