package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/repolink/repolink/shared/preflight"
)

// TestPreflightSandboxCredentialKinds runs preflight against the sandbox
// index for every index product and auth type that the README lists. The
// sandbox generates each missing secret, and the credential it generates
// must have the product's documented form, so that credential_template
// passes and the index accepts it.
func TestPreflightSandboxCredentialKinds(t *testing.T) {
	const (
		artifactory  = "https://corp.jfrog.io/artifactory/api/pypi/pypi-remote/simple/"
		nexus        = "https://nexus.corp.example.com/repository/pypi-proxy/simple/"
		azureDevOps  = "https://pkgs.dev.azure.com/corp/platform/_packaging/pypi-feed/pypi/simple/"
		codeArtifact = "https://corp-123456789012.d.codeartifact.us-west-2.amazonaws.com/pypi/pypi-store/simple/"
		registry     = "https://us-central1-python.pkg.dev/corp-packages-prod/pypi/simple/"
		gitLab       = "https://gitlab.com/api/v4/projects/42/packages/pypi/simple/"
		other        = "https://pypi.corp.example.com/simple/"
	)
	const secretRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-credential"
	password := func(user string) map[string]any {
		return map[string]any{"type": "password", "username": user, "password_ref": secretRef}
	}
	token := map[string]any{"type": "token", "token_ref": secretRef}
	tests := []struct {
		name     string
		indexURL string
		auth     map[string]any
		// wantWarned lists the checks that warn about a credential of
		// this kind, whatever its value.
		wantWarned []string
	}{
		{"artifactory password", artifactory, password("svc-snowflake"), nil},
		{"artifactory token", artifactory, token, nil},
		{"nexus password", nexus, password("svc-snowflake"), nil},
		{"nexus token", nexus, token, nil},
		{"azure devops password", azureDevOps, password("snowflake"), nil},
		{"azure devops token", azureDevOps, token, nil},
		{"codeartifact password", codeArtifact, password("aws"), []string{"credential_lifetime"}},
		{"codeartifact token", codeArtifact, token, []string{"credential_lifetime"}},
		{"codeartifact managed token", codeArtifact, map[string]any{"type": "codeartifact"}, nil},
		{"artifact registry key", registry, password("_json_key_base64"), nil},
		{"artifact registry access token", registry, password("oauth2accesstoken"), []string{"credential_lifetime"}},
		{"artifact registry token", registry, token, nil},
		{"gitlab deploy token", gitLab, password("gitlab+deploy-token-7"), nil},
		{"gitlab personal token", gitLab, password("__token__"), nil},
		{"gitlab token", gitLab, token, nil},
		{"other index password", other, password("svc-snowflake"), nil},
		{"other index token", other, token, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePublicRequest(t, "request.json", func(doc map[string]any) {
				repo := section(doc, "repository")
				repo["index_url"] = tt.indexURL
				repo["auth"] = tt.auth
			})
			var stdout, stderr bytes.Buffer
			err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), "--output", "json", path}, &stdout, &stderr)
			if err != nil {
				t.Fatalf("preflight: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			var report preflight.Report
			if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
				t.Fatalf("decode JSON report: %v\n%s", err, stdout.String())
			}
			status := map[string]preflight.Status{}
			for _, c := range report.Checks {
				status[c.Name] = c.Status
				want := preflight.Passed
				if slices.Contains(tt.wantWarned, c.Name) {
					want = preflight.Warned
				}
				if c.Status != want {
					t.Errorf("check %s: status %q, want %q: %s", c.Name, c.Status, want, c.Detail)
				}
			}
			for _, name := range []string{"credential_template", "credential_lifetime", "credentials"} {
				if _, ran := status[name]; !ran {
					t.Errorf("check %s did not run", name)
				}
			}
		})
	}
}
