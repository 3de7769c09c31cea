package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/preflight"
	"github.com/repolink/repolink/shared/workflow"
)

// TestFailedRunShowsPreflightWarnings runs a request whose token has no
// user part, which the sandbox index rejects. The warning that names the
// cause must appear in the run's output and in status, text and JSON,
// beside the failed check, and the token must appear nowhere.
func TestFailedRunShowsPreflightWarnings(t *testing.T) {
	const token = "TOKENWITHOUTCOLON"
	tokenFile := filepath.Join(t.TempDir(), "token.txt")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	req := writePublicRequest(t, "no-user.json", func(doc map[string]any) {
		doc["id"] = "T-nc"
		repo := section(doc, "repository")
		repo["name"] = "nc"
		repo["auth"] = map[string]any{"type": "token", "token_ref": "file:" + tokenFile}
	})
	dir := t.TempDir()
	const (
		warning = "warning: credential_template: the token has no user part"
		fix     = "fix: store the token as user:token"
	)

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitFailed {
		t.Fatalf("run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	progress, summary, found := strings.Cut(out, "\nsummary\n")
	if !found {
		t.Fatalf("run output has no summary:\n%s", out)
	}
	for name, text := range map[string]string{"progress": progress, "summary": summary} {
		for _, want := range []string{"credentials: the index root rejected the credential", warning, fix} {
			if !strings.Contains(text, want) {
				t.Errorf("run %s lacks %q:\n%s", name, want, text)
			}
		}
	}

	code, status, errOut := runCLI(t, "status", "--state-dir", dir, "T-nc")
	if code != exitOK {
		t.Fatalf("status: exit %d\nstdout:\n%s\nstderr:\n%s", code, status, errOut)
	}
	for _, want := range []string{warning, fix} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}

	code, statusJSON, errOut := runCLI(t, "status", "--state-dir", dir, "--output", "json", "T-nc")
	if code != exitOK {
		t.Fatalf("status --output json: exit %d\nstdout:\n%s\nstderr:\n%s", code, statusJSON, errOut)
	}
	var view struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	}
	if err := json.Unmarshal([]byte(statusJSON), &view); err != nil {
		t.Fatalf("decode status JSON: %v\n%s", err, statusJSON)
	}
	if view.Error != workflow.ErrInvalidRequest {
		t.Errorf("status JSON error = %q, want %s", view.Error, workflow.ErrInvalidRequest)
	}
	for _, want := range []string{warning, fix} {
		if !strings.Contains(view.Cause, want) {
			t.Errorf("status JSON cause lacks %q:\n%s", want, view.Cause)
		}
	}

	for name, text := range map[string]string{"run": out + errOut, "status": status, "status JSON": statusJSON} {
		if strings.Contains(text, token) {
			t.Errorf("%s output contains the token:\n%s", name, text)
		}
	}
}

// TestPreflightClassifiesIndexFailure gives an AWS private-link request an
// index URL without /simple/, which fails the credentials check. The run's
// preflight step fails with InvalidRequest, so preflight must give the
// check that error and exit with status 2, and list each index check that
// did not run as skipped, naming credentials, in text and JSON.
func TestPreflightClassifiesIndexFailure(t *testing.T) {
	req := writeExample(t, "aws-privatelink.json", func(doc map[string]any) {
		section(doc, "repository")["index_url"] = "https://pypi.corp.example.com/"
	})
	skipped := []string{"simple_api", "package requests", "file_links", "redirects", "allowed_prefixes", "private_path", "credential_forwarding"}
	const reason = "not checked: the credentials check failed"

	code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), "--output", "json", req)
	if code != exitInvalid {
		t.Errorf("preflight --output json: exit %d, want %d\nstderr:\n%s", code, exitInvalid, errOut)
	}
	var report preflight.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("decode report: %v\n%s", err, out)
	}
	checks := map[string]preflight.Check{}
	for _, c := range report.Checks {
		checks[c.Name] = c
	}
	if c := checks["credentials"]; c.Status != preflight.Failed || c.Error != workflow.ErrInvalidRequest {
		t.Errorf("credentials = %s with error %q, want failed with %s", c.Status, c.Error, workflow.ErrInvalidRequest)
	}
	for _, name := range skipped {
		c, ok := checks[name]
		if !ok {
			t.Errorf("report lacks check %s", name)
			continue
		}
		if c.Status != preflight.Skipped || c.Detail != reason {
			t.Errorf("%s = %s %q, want skipped %q", name, c.Status, c.Detail, reason)
		}
	}

	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), req)
	if code != exitInvalid {
		t.Errorf("preflight: exit %d, want %d\nstderr:\n%s", code, exitInvalid, errOut)
	}
	for _, name := range skipped {
		if !strings.Contains(out, "  skipped  "+name+" ") {
			t.Errorf("preflight output lists no skipped %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, ", 1 failed, ") {
		t.Errorf("summary line does not count one failure:\n%s", out)
	}
}
