package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRunShowsPreflightWarnings runs a request whose index credential is
// an Artifact Registry access token, which preflight warns expires within
// an hour. The run's progress line, its summary and status in text and
// JSON must all show that warning with its fix.
func TestRunShowsPreflightWarnings(t *testing.T) {
	dir := t.TempDir()
	req := writePublicRequest(t, "access-token.json", func(doc map[string]any) {
		repo := section(doc, "repository")
		repo["index_url"] = "https://us-central1-python.pkg.dev/corp-packages-prod/pypi/simple/"
		repo["auth"] = map[string]any{
			"type":         "password",
			"username":     "oauth2accesstoken",
			"password_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/ar-access-token",
		}
	})
	const (
		detail = "credential_lifetime: Google Artifact Registry tokens expire within 1h0m0s"
		fix    = "fix: use the user name _json_key_base64"
	)

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	progress, summary, found := strings.Cut(out, "\nsummary\n")
	if !found {
		t.Fatalf("run output has no summary:\n%s", out)
	}
	for _, want := range []string{"\n    warning: " + detail, "\n      " + fix} {
		if !strings.Contains(progress, want) {
			t.Errorf("run progress lacks %q:\n%s", want, progress)
		}
	}
	for _, want := range []string{"\n  warning:          " + detail, "\n                    " + fix} {
		if !strings.Contains(summary, want) {
			t.Errorf("run summary lacks %q:\n%s", want, summary)
		}
	}

	code, out, errOut = runCLI(t, "status", "--state-dir", dir, "DATA-4721")
	if code != exitOK {
		t.Fatalf("status: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"\nwarning:       " + detail, "\n               " + fix} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runCLI(t, "status", "--state-dir", dir, "--output", "json", "DATA-4721")
	if code != exitOK {
		t.Fatalf("status --output json: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var view struct {
		Resources struct {
			Preflight struct {
				Warnings []struct {
					Check  string `json:"check"`
					Detail string `json:"detail"`
					Fix    string `json:"fix"`
				} `json:"warnings"`
			} `json:"preflight"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatalf("decode status JSON: %v\n%s", err, out)
	}
	warnings := view.Resources.Preflight.Warnings
	if len(warnings) != 1 {
		t.Fatalf("status JSON preflight warnings = %+v, want one", warnings)
	}
	if warnings[0].Check != "credential_lifetime" {
		t.Errorf("status JSON warning check = %q, want credential_lifetime", warnings[0].Check)
	}
	if !strings.Contains(warnings[0].Detail, "after which installs fail") {
		t.Errorf("status JSON warning detail = %q, want the expiry", warnings[0].Detail)
	}
	if warnings[0].Fix == "" {
		t.Error("status JSON warning has no fix")
	}
}
