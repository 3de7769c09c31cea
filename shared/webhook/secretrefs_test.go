package webhook

import (
	"slices"
	"testing"
)

func TestAuthSecretRefsOfExamples(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"../../examples/jira-mapping.json", []string{"env:REPOLINK_JIRA_SECRET"}},
		{"../../examples/servicenow-mapping.json", []string{"env:REPOLINK_SERVICENOW_TOKEN", "env:REPOLINK_SERVICENOW_HMAC_KEY"}},
	}
	for _, tt := range tests {
		m, err := ReadMapping(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.AuthSecretRefs(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: AuthSecretRefs() = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestAuthSecretRefsBasic(t *testing.T) {
	m, err := ParseMapping(editMapping(t,
		`{"type": "hmac", "secret_ref": "env:REPOLINK_JIRA_SECRET"}`,
		`{"type": "basic", "username": "jira", "password_ref": "env:REPOLINK_JIRA_PASSWORD"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.AuthSecretRefs(), []string{"env:REPOLINK_JIRA_PASSWORD"}; !slices.Equal(got, want) {
		t.Errorf("AuthSecretRefs() = %q, want %q", got, want)
	}
}

func TestSnowflakeSecretRefsOnlySnowflake(t *testing.T) {
	m, err := ParseMapping(editMapping(t,
		`"warehouse": "REPOLINK_WH"`,
		`"warehouse": "REPOLINK_WH", "private_key_passphrase_ref": "env:REPOLINK_KEY_PASSPHRASE"`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.SnowflakeSecretRefs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/snowflake-key",
		"env:REPOLINK_KEY_PASSPHRASE",
	}
	if !slices.Equal(got, want) {
		t.Errorf("SnowflakeSecretRefs() = %q, want %q without the index password", got, want)
	}
}
