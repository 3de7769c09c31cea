package main

import (
	"strings"
	"testing"
)

// TestRunRejectsArtifactRegistryHostClash runs two gcp-privatelink requests
// for two Artifact Registry repositories of one location, which share the
// host us-central1-python.pkg.dev. Plan, preflight and run reject the
// second with advice that the product allows: a teardown of the first
// request or another Snowflake account, not another host name.
func TestRunRejectsArtifactRegistryHostClash(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	registry := func(id, name, repository, defaultFor string) string {
		return writeExample(t, "gcp-privatelink.json", func(doc map[string]any) {
			doc["id"] = id
			section(doc, "repository")["name"] = name
			section(doc, "repository")["index_url"] = "https://us-central1-python.pkg.dev/p/" + repository + "/simple/"
			section(section(doc, "repository"), "auth")["username"] = "_json_key_base64"
			section(doc, "repository")["default_for"] = defaultFor
		})
	}
	first := registry("DATA-4911", "corp_pypi", "one", "schema")
	// DATA-4911 sets the schema's default, which no other request may set too.
	second := registry("DATA-4912", "ml_pypi", "two", "none")
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	wants := []string{
		"request DATA-4912 uses the index host us-central1-python.pkg.dev",
		"repolink teardown --sandbox --state-dir " + dir + " DATA-4911",
		"or use another Snowflake account in $.snowflake.account, because every repository of an Artifact Registry location " +
			"has the host name us-central1-python.pkg.dev",
	}
	outputs := map[string]string{}
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Errorf("plan: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	outputs["plan"] = out
	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Errorf("preflight: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	outputs["preflight"] = out
	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Errorf("run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	outputs["run"] = errOut

	for command, output := range outputs {
		for _, want := range wants {
			if !strings.Contains(output, want) {
				t.Errorf("%s output lacks %q:\n%s", command, want, output)
			}
		}
		if strings.Contains(output, "another host name") {
			t.Errorf("%s output suggests another host name, which an Artifact Registry location does not have:\n%s", command, output)
		}
	}
}
