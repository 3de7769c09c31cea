package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpMissingServiceSecretCreatesNothing checks that up rejects a
// service secret that is unset or empty before it creates anything under
// the state directory, whether the directory is new or exists and is
// empty.
func TestUpMissingServiceSecretCreatesNothing(t *testing.T) {
	emptyFile := filepath.Join(t.TempDir(), "empty-secret")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		replace []string
		args    []string
		want    []string
		// namesMapping is true for an error that must name the mapping
		// file.
		namesMapping bool
	}{
		{
			name: "jira secret unset",
			env:  map[string]string{"REPOLINK_JIRA_SECRET": ""},
			want: []string{"--jira-mapping", "$.auth.secret_ref", "REPOLINK_JIRA_SECRET is not set",
				"set the environment variable REPOLINK_JIRA_SECRET, or change the reference"},
			namesMapping: true,
		},
		{
			name:    "jira secret file empty",
			replace: []string{`"env:REPOLINK_JIRA_SECRET"`, `"file:` + emptyFile + `"`},
			want: []string{"--jira-mapping", "$.auth.secret_ref", "value is empty",
				"write the secret to " + emptyFile + ", or change the reference"},
			namesMapping: true,
		},
		{
			name: "webhook secret ref unset",
			env:  map[string]string{"REPOLINK_JIRA_SECRET": "jira-test-secret", "REPOLINK_TEST_UNSET_WEBHOOK": ""},
			args: []string{"--webhook-secret-ref", "env:REPOLINK_TEST_UNSET_WEBHOOK"},
			want: []string{"--webhook-secret-ref", "REPOLINK_TEST_UNSET_WEBHOOK is not set"},
		},
	}
	for _, tt := range tests {
		for _, existing := range []bool{false, true} {
			name := tt.name + "/new dir"
			if existing {
				name = tt.name + "/empty dir"
			}
			t.Run(name, func(t *testing.T) {
				t.Setenv(envWebhookSecret, testWebhookSecret)
				t.Setenv(envAPIToken, "")
				for key, value := range tt.env {
					t.Setenv(key, value)
					if value == "" {
						os.Unsetenv(key)
					}
				}
				mapping := writeMapping(t, tt.replace...)
				dir := filepath.Join(t.TempDir(), "state")
				if existing {
					if err := os.Mkdir(dir, 0o700); err != nil {
						t.Fatal(err)
					}
				}
				args := append([]string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir, "--jira-mapping", mapping}, tt.args...)

				code, _, errOut := runCLI(t, args...)

				if code != exitInvalid {
					t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
				}
				for _, want := range tt.want {
					if !strings.Contains(errOut, want) {
						t.Errorf("stderr %q does not contain %q", errOut, want)
					}
				}
				if tt.namesMapping && !strings.Contains(errOut, "mapping "+mapping+": ") {
					t.Errorf("stderr %q does not name the mapping file %s", errOut, mapping)
				}
				entries, err := os.ReadDir(dir)
				switch {
				case !existing && err == nil:
					t.Errorf("up created the state directory, with %d entries", len(entries))
				case existing && err != nil:
					t.Errorf("read state directory: %v", err)
				case existing && len(entries) != 0:
					t.Errorf("up left %d entries in the state directory, such as %s", len(entries), entries[0].Name())
				}
			})
		}
	}
}
