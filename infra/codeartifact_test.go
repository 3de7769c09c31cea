package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// codeArtifactRoles are the roles that get CodeArtifact tokens: preflight
// and the secret step for requests of auth type codeartifact, and the
// poller when it renews them.
var codeArtifactRoles = []string{"PreflightRole", "SnowflakeRole", "PollerRole"}

var bearerTokenCondition = map[string]any{"StringEquals": map[string]any{"sts:AWSServiceName": "codeartifact.amazonaws.com"}}

func TestCodeArtifactStatements(t *testing.T) {
	r := fullStack(t)
	statements := policyStatements(t, r.json)

	for _, role := range codeArtifactRoles {
		t.Run(role, func(t *testing.T) {
			tokens, ok := findStatement(statements, role, "GetCodeArtifactTokens")
			if !ok {
				t.Fatalf("role %s has no statement GetCodeArtifactTokens", role)
			}
			if diff := cmp.Diff([]string{"codeartifact:GetAuthorizationToken"}, tokens.Actions); diff != "" {
				t.Errorf("GetCodeArtifactTokens actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{exampleDomainARN, exampleDomainARN2}, tokens.Resources); diff != "" {
				t.Errorf("GetCodeArtifactTokens resources (-want +got):\n%s", diff)
			}

			bearer, ok := findStatement(statements, role, "GetCodeArtifactBearerToken")
			if !ok {
				t.Fatalf("role %s has no statement GetCodeArtifactBearerToken", role)
			}
			if diff := cmp.Diff([]string{"sts:GetServiceBearerToken"}, bearer.Actions); diff != "" {
				t.Errorf("GetCodeArtifactBearerToken actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"*"}, bearer.Resources); diff != "" {
				t.Errorf("GetCodeArtifactBearerToken resources (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(bearerTokenCondition, bearer.Condition); diff != "" {
				t.Errorf("GetCodeArtifactBearerToken condition (-want +got):\n%s", diff)
			}

			// A token can read only what the role that got it may read.
			read, ok := findStatement(statements, role, "ReadCodeArtifactRepositories")
			if !ok {
				t.Fatalf("role %s has no statement ReadCodeArtifactRepositories", role)
			}
			if diff := cmp.Diff([]string{"codeartifact:ReadFromRepository"}, read.Actions); diff != "" {
				t.Errorf("ReadCodeArtifactRepositories actions (-want +got):\n%s", diff)
			}
			wantRepositories := []string{
				"arn:aws:codeartifact:us-west-2:123456789012:repository/corp/*",
				"arn:aws:codeartifact:eu-west-1:111122223333:repository/shared-packages/*",
			}
			if diff := cmp.Diff(wantRepositories, read.Resources); diff != "" {
				t.Errorf("ReadCodeArtifactRepositories resources (-want +got):\n%s", diff)
			}
		})
	}

	// No other role may get a token, nor a bearer token of any service.
	for _, st := range statements {
		if slices.Contains(codeArtifactRoles, st.Role) {
			continue
		}
		for _, action := range st.Actions {
			if strings.HasPrefix(action, "codeartifact:") || action == "sts:GetServiceBearerToken" {
				t.Errorf("role %s is allowed %s (statement %s)", st.Role, action, st.Sid)
			}
		}
	}
}

func TestCredentialExpiryStatements(t *testing.T) {
	r := fullStack(t)
	statements := policyStatements(t, r.json)
	// The dynamo package keeps every credential expiry record in this
	// partition. The notifier's claims in "credential#notices" stay out of
	// reach, so the condition names the partition exactly.
	credentialKeys := map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": "credential#expiries"}}

	tests := []struct {
		role    string
		sid     string
		actions []string
	}{
		// The secret step records, teardown_snowflake deletes, and the
		// secret step reads a record before it deletes it conditionally.
		{"SnowflakeRole", "RecordCredentialExpiries", []string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem"}},
		// The poller lists, claims and stores the renewed expiry with
		// conditional writes on what it read, and drops records.
		{"PollerRole", "RenewCredentialExpiries", []string{"dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			st, ok := findStatement(statements, tt.role, tt.sid)
			if !ok {
				t.Fatalf("role %s has no statement %q", tt.role, tt.sid)
			}
			if diff := cmp.Diff(tt.actions, st.Actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"{WaitsTable.Arn}"}, st.Resources); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(credentialKeys, st.Condition); diff != "" {
				t.Errorf("condition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoCodeArtifactDomainsRejects(t *testing.T) {
	cfg := fullConfig()
	cfg.CodeArtifactDomainARNs = nil
	r := synth(t, "no-codeartifact-domains", cfg)
	statements := policyStatements(t, r.json)

	for _, st := range statements {
		for _, action := range st.Actions {
			if strings.HasPrefix(action, "codeartifact:") || action == "sts:GetServiceBearerToken" {
				t.Errorf("role %s is allowed %s (statement %s) with no domain listed", st.Role, action, st.Sid)
			}
		}
	}
	for _, handler := range []string{"preflight", "secret", "poller", "webhook"} {
		_, props := functionOf(t, r.json, handler)
		if got, ok := environmentOf(props)["REPOLINK_CODEARTIFACT_DOMAINS"]; ok {
			t.Errorf("function %s has REPOLINK_CODEARTIFACT_DOMAINS=%v, want it unset", handler, got)
		}
	}
	if len(r.stack.Warnings) != 1 {
		t.Fatalf("stack has warnings %q, want one", r.stack.Warnings)
	}
	for _, want := range []string{"codeArtifactDomainArns", "codeArtifactAnyDomain=true", "InvalidRequest"} {
		if !strings.Contains(r.stack.Warnings[0], want) {
			t.Errorf("warning %q does not contain %q", r.stack.Warnings[0], want)
		}
	}
}

func TestAnyCodeArtifactDomain(t *testing.T) {
	cfg := fullConfig()
	cfg.CodeArtifactDomainARNs = nil
	cfg.CodeArtifactAnyDomain = true
	r := synth(t, "any-codeartifact-domain", cfg)
	statements := policyStatements(t, r.json)

	for _, role := range codeArtifactRoles {
		for _, sid := range []string{"GetCodeArtifactTokens", "ReadCodeArtifactRepositories"} {
			st, ok := findStatement(statements, role, sid)
			if !ok {
				t.Errorf("role %s has no statement %s", role, sid)
				continue
			}
			if diff := cmp.Diff([]string{"*"}, st.Resources); diff != "" {
				t.Errorf("role %s %s resources (-want +got):\n%s", role, sid, diff)
			}
		}
	}
	for _, handler := range []string{"preflight", "secret", "poller", "webhook"} {
		_, props := functionOf(t, r.json, handler)
		if got := environmentOf(props)["REPOLINK_CODEARTIFACT_DOMAINS"]; got != "*" {
			t.Errorf("function %s has REPOLINK_CODEARTIFACT_DOMAINS=%v, want *", handler, got)
		}
	}
	if len(r.stack.Warnings) != 1 {
		t.Fatalf("stack has warnings %q, want one", r.stack.Warnings)
	}
	if !strings.Contains(r.stack.Warnings[0], "codeArtifactAnyDomain is true") {
		t.Errorf("warning %q does not name codeArtifactAnyDomain", r.stack.Warnings[0])
	}
}
