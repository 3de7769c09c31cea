package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestChangedRequestNewIDAdvice changes the auth type of a succeeded
// private-link request, follows the rejection's advice to use a new id with
// every change it names, and checks that the run succeeds.
func TestChangedRequestNewIDAdvice(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir}
	if code, out, errOut := runCLI(t, append(args, writeRequest(t, nil))...); code != exitOK {
		t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	token := func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{
			"type":      "token",
			"token_ref": "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-token",
		}
	}

	code, out, errOut := runCLI(t, append(args, writeRequest(t, token))...)
	if code != exitInvalid {
		t.Fatalf("changed auth exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	advice := regexp.MustCompile(`or give this request a new id together with (.*), because`).FindStringSubmatch(errOut)
	if advice == nil {
		t.Fatalf("rejection lacks the new id advice with its changes:\n%s", errOut)
	}
	for _, field := range []string{"$.repository.name", "$.repository.index_url", "$.repository.default_for"} {
		if !strings.Contains(advice[1], field) {
			t.Errorf("new id advice %q does not name %s", advice[1], field)
		}
	}

	followed := func(doc map[string]any) {
		token(doc)
		doc["id"] = "DATA-4712"
		repo := section(doc, "repository")
		repo["name"] = "corp_pypi_token"
		repo["index_url"] = "https://pypi-token.corp.example.com/simple/"
		repo["default_for"] = "none"
	}
	code, out, errOut = runCLI(t, append(args, writeRequest(t, followed))...)
	if code != exitOK {
		t.Fatalf("run that follows the advice exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "status:           SUCCEEDED") {
		t.Errorf("run that follows the advice did not succeed:\n%s", out)
	}
}
