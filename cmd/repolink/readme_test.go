package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeTokenFormats checks that the README's table of index products
// gives the value of a token secret for each product, because Snowflake
// sends a GENERIC_STRING secret as it is.
func TestReadmeTokenFormats(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) == 3 && strings.HasPrefix(line, "| ") {
			rows[strings.TrimPrefix(cells[0], "| ")] = strings.TrimSuffix(cells[2], " |")
		}
	}
	for product, want := range map[string]string{
		"JFrog Artifactory":         "`user:access-token`",
		"Azure DevOps Artifacts":    "`any-name:personal-access-token`",
		"Azure DevOps Server":       "`any-name:personal-access-token`",
		"AWS CodeArtifact":          "`aws:token`",
		"Google Artifact Registry":  "`_json_key_base64:base64-key`",
		"GitLab package registry":   "`__token__:personal-access-token`",
		"Sonatype Nexus Repository": "`token-name:token-passcode`",
	} {
		got, ok := rows[product]
		if !ok {
			t.Errorf("README has no token format row for %s", product)
			continue
		}
		if !strings.Contains(got, want) {
			t.Errorf("token format of %s = %q, want it to contain %s", product, got, want)
		}
	}
}

// TestReadmeLocalResumeCredentials checks that the README warns that a
// run, redrive or teardown without repolink up resumes the other open
// executions of the state directory, whose steps read env: and file:
// references from that process, and names what the operator should do.
func TestReadmeLocalResumeCredentials(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(data)), " ")
	for _, want := range []string{
		"also resumes every other execution left open in the directory",
		"read their requests' `env:` and `file:` references from the environment and files of this process",
		"start `repolink up` on the directory",
		"export the same variables",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("README does not say %q", want)
		}
	}
}
