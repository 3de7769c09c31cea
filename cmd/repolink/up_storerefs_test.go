package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

const (
	// mappingSnowflakeKey is the Snowflake key of the example Jira mapping.
	mappingSnowflakeKey = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/snowflake-key"
	// teamSnowflakeKey is a Snowflake key of a request sent to the API.
	teamSnowflakeKey = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:team/snowflake-key"
	// indexRefsEntry allows the index credentials under repolink/index/.
	indexRefsEntry = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index/*"
)

// withRefs returns an edit of the example request that sets the Snowflake
// key and the index token.
func withRefs(key, token string) func(map[string]any) {
	return func(doc map[string]any) {
		section(doc, "snowflake")["private_key_ref"] = key
		section(doc, "repository")["auth"] = map[string]any{"type": "token", "token_ref": token}
	}
}

// TestUpRejectsMappingSnowflakeKeyAsIndex checks the default of repolink
// up without --allow-secret-refs: a request sent to POST /v1/requests may
// not name the Snowflake key of a mapping as its index credential, in any
// spelling of that secret.
func TestUpRejectsMappingSnowflakeKeyAsIndex(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_JIRA_SECRET", "up-test-jira-secret")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none", "--jira-mapping", "../../examples/jira-mapping.json")

	for i, token := range []string{mappingSnowflakeKey, mappingSnowflakeKey + "-AbC123", mappingSnowflakeKey + "#password"} {
		message := postRejectedRequest(t, up.url, "SFKEY-"+string(rune('A'+i)), withRefs(teamSnowflakeKey, token), "$.repository.auth.token_ref")
		if !strings.Contains(message, "names a Snowflake credential that this service uses") {
			t.Errorf("token_ref %s: message %q does not say that the secret is a Snowflake credential", token, message)
		}
	}
}

// TestUpRejectsUnlistedStoreRef checks that POST /v1/requests rejects a
// secret store reference outside --allow-secret-refs, naming the field
// and the flag.
func TestUpRejectsUnlistedStoreRef(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none", "--allow-secret-refs", indexRefsEntry+","+mappingSnowflakeKey)

	tests := []struct{ name, key, token, field string }{
		{"index token", mappingSnowflakeKey, "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/other", "$.repository.auth.token_ref"},
		{"Snowflake key", teamSnowflakeKey, strings.TrimSuffix(indexRefsEntry, "*") + "corp", "$.snowflake.private_key_ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message := postRejectedRequest(t, up.url, "UNLISTED-"+strings.ReplaceAll(tt.name, " ", "-"), withRefs(tt.key, tt.token), tt.field)
			if !strings.Contains(message, "--allow-secret-refs") {
				t.Errorf("message %q does not name --allow-secret-refs", message)
			}
		})
	}
}

// TestUpAPIStartChecksStoreRefs checks the StartExecution check of repolink
// up against --allow-secret-refs and the mappings' Snowflake keys.
func TestUpAPIStartChecksStoreRefs(t *testing.T) {
	list := strings.Join([]string{indexRefsEntry, mappingSnowflakeKey, teamSnowflakeKey}, ",")
	opts, err := parseUpFlags([]string{"--sandbox", "--allow-secret-refs", list}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	s := &serviceExecutions{localRefs: opts.localRefs.WithSnowflakeSecrets([]string{mappingSnowflakeKey})}
	tests := []struct {
		name, key, token, field string
	}{
		{"unlisted index token", mappingSnowflakeKey, "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/other", "$.repository.auth.token_ref"},
		{"unlisted Snowflake key", "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:other/key",
			strings.TrimSuffix(indexRefsEntry, "*") + "corp", "$.snowflake.private_key_ref"},
		{"mapping key as index token", teamSnowflakeKey, mappingSnowflakeKey + "-AbC123", "$.repository.auth.token_ref"},
		{"listed", mappingSnowflakeKey, strings.TrimSuffix(indexRefsEntry, "*") + "corp", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := readRequest(writeRequest(t, withRefs(tt.key, tt.token)))
			if err != nil {
				t.Fatal(err)
			}
			err = s.checkAPIStart(req)
			if tt.field == "" {
				if err != nil {
					t.Errorf("checkAPIStart = %v, want nil", err)
				}
				return
			}
			var invalid *request.ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("checkAPIStart = %v, want a *request.ValidationError", err)
			}
			if len(invalid.Fields) != 1 || invalid.Fields[0].Path != tt.field {
				t.Errorf("fields = %+v, want one at %s", invalid.Fields, tt.field)
			}
		})
	}
}

func TestUpRejectsInvalidAllowSecretRefs(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	tests := []struct{ value, named string }{
		{"env:INDEX_TOKEN", `"env:INDEX_TOKEN"`},
		{"aws-secretsmanager:repolink/index", `"aws-secretsmanager:repolink/index"`},
		{"gcp-secretmanager:", `"gcp-secretmanager:" names no secret`},
		{"gcp-secretmanager:projects/corp/secrets/index,", "entry 2 of 2 is empty"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, "up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir(), "--allow-secret-refs", tt.value)
		if code != exitInvalid {
			t.Errorf("--allow-secret-refs %s: exit %d, want %d\n%s", tt.value, code, exitInvalid, errOut)
		}
		if !strings.Contains(errOut, "--allow-secret-refs") {
			t.Errorf("--allow-secret-refs %s: stderr does not name the flag:\n%s", tt.value, errOut)
		}
		if !strings.Contains(errOut, tt.named) {
			t.Errorf("--allow-secret-refs %s: stderr does not contain %s:\n%s", tt.value, tt.named, errOut)
		}
	}
}
