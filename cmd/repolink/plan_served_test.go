package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPlanReportsRejectionsOfUp checks that plan reports the credential
// references and CodeArtifact domains that the repolink up serving the
// state directory rejects, as run rejects them, and no rejection for a
// request that up accepts.
func TestPlanReportsRejectionsOfUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_TEST_OTHER_PW", "other-index-password")
	dir := t.TempDir()
	const listedDomain = "arn:aws:codeartifact:us-west-2:111122223333:domain/other"
	startUp(t, dir, "--sandbox-latency", "none",
		"--sandbox-hosts", "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com",
		"--allow-local-refs", "env:REPOLINK_TEST_SF_PW",
		"--codeartifact-domains", listedDomain)

	tests := []struct {
		name string
		edit func(map[string]any)
		want []string
	}{
		{
			name: "local ref not allowed",
			edit: func(doc map[string]any) {
				doc["id"] = "PLAN-UP-1"
				section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_OTHER_PW"}
			},
			want: []string{
				"rejects a credential reference of the request",
				"$.repository.auth.password_ref: env:REPOLINK_TEST_OTHER_PW is not allowed",
				"restart repolink up with the reference in --allow-local-refs",
			},
		},
		{
			name: "codeartifact domain not listed",
			edit: func(doc map[string]any) {
				doc["id"] = "PLAN-UP-2"
				codeArtifactRequest(doc)
			},
			want: []string{
				"rejects the CodeArtifact domain of the request",
				"$.repository.index_url: CodeArtifact domain " + sandboxCodeArtifactDomain,
				"--codeartifact-domains",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := writeRequest(t, tt.edit)
			code, out, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, req)
			if code != exitInvalid {
				t.Fatalf("run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}

			code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, "--output", "json", req)
			if code != exitInvalid {
				t.Fatalf("plan --output json of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			var report struct {
				Rejected *string `json:"rejected"`
			}
			if err := json.Unmarshal([]byte(out), &report); err != nil {
				t.Fatalf("decode plan: %v\n%s", err, out)
			}
			if report.Rejected == nil {
				t.Fatalf("plan JSON has no rejected reason:\n%s", out)
			}
			for _, want := range tt.want {
				if !strings.Contains(*report.Rejected, want) {
					t.Errorf("rejected %q does not contain %q", *report.Rejected, want)
				}
			}
			if strings.Contains(out, "other-index-password") {
				t.Errorf("plan JSON contains a secret value:\n%s", out)
			}

			code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, req)
			if code != exitInvalid {
				t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "a run would be rejected: the repolink up that serves "+dir) {
				t.Errorf("plan text does not say that a run would be rejected:\n%s", out)
			}
			if strings.Contains(out, "a run would be PLAN-UP") {
				t.Errorf("plan text names a run that would be rejected:\n%s", out)
			}
		})
	}

	allowed := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PLAN-UP-3"
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_SF_PW"}
	})
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, "--output", "json", allowed)
	if code != exitOK {
		t.Fatalf("plan of an accepted request: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, `"rejected"`) {
		t.Errorf("plan of a request that up accepts has a rejected reason:\n%s", out)
	}
}
