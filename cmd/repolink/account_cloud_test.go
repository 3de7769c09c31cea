package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestAccountOnOneCloud runs the AWS example for an organization-account
// identifier, and checks that preflight then rejects the Azure and Google
// Cloud examples for the same account at $.snowflake.account, because the
// account's private-link config shows AWS, and that a run stops there.
func TestAccountOnOneCloud(t *testing.T) {
	dir := t.TempDir()
	first := writeExampleEdit(t, "../../examples/aws-privatelink.json", func(doc map[string]any) {
		section(doc, "snowflake")["account"] = "myorg-analytics"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != 0 {
		t.Fatalf("run of the AWS example: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	for i, example := range []string{"azure-privatelink.json", "gcp-privatelink.json"} {
		n := i + 1
		path := writeExampleEdit(t, filepath.Join("../../examples", example), func(doc map[string]any) {
			doc["id"] = fmt.Sprintf("CLOUD-%d", n)
			section(doc, "snowflake")["account"] = "myorg-analytics"
			repo := section(doc, "repository")
			repo["name"] = fmt.Sprintf("OTHER_PYPI_%d", n)
			repo["index_url"] = fmt.Sprintf("https://other%d.corp.example.com/simple/", n)
			repo["default_for"] = "none"
		})

		code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, path)

		if code != exitInvalid {
			t.Errorf("%s preflight: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", example, code, exitInvalid, out, errOut)
		}
		line := lineContaining(out, "account_region")
		if !strings.Contains(line, "failed") {
			t.Errorf("%s preflight: account_region line %q, want failed", example, line)
		}
		if !strings.Contains(line, "$.snowflake.account myorg-analytics is a Snowflake account on aws") {
			t.Errorf("%s preflight: account_region line %q does not name $.snowflake.account on aws", example, line)
		}

		code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, path)

		if code == 0 {
			t.Errorf("%s run: exit 0, want a failure in preflight\nstdout:\n%s\nstderr:\n%s", example, out, errOut)
		}
		if !strings.Contains(out, "InvalidRequest: $.snowflake.account myorg-analytics") {
			t.Errorf("%s run did not stop at $.snowflake.account\nstdout:\n%s", example, out)
		}
	}
}

// lineContaining returns the first line of out that contains text, or "".
func lineContaining(out, text string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, text) {
			return line
		}
	}
	return ""
}
