package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestRedriveTeardownUpLocalRefs checks that redrive and teardown
// reject an execution whose request has an env: reference that the
// repolink up serving the state directory does not allow, with exit
// status 2 and before they redrive or start anything, as run does. A
// teardown is rejected only for the Snowflake credential, the one
// credential that the teardown steps read.
func TestRedriveTeardownUpLocalRefs(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_TEST_OTHER_PW", "other-index-password")
	t.Setenv("REPOLINK_TEST_OTHER_KEY", "other-snowflake-key")
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none", "--allow-local-refs", "env:REPOLINK_TEST_IDX_PW")

	// StartExecution skips the intake checks, so each execution starts and
	// fails at the first step that reads the reference.
	startFailed := func(id string, edit func(doc map[string]any)) executionView {
		t.Helper()
		req, err := readRequest(writeRequest(t, func(doc map[string]any) {
			doc["id"] = id
			edit(doc)
		}))
		if err != nil {
			t.Fatal(err)
		}
		if code := startExecutionAPI(t, http.DefaultClient, up.url, id, req); code != http.StatusOK {
			t.Fatalf("StartExecution %s = %d, want 200", id, code)
		}
		return waitForStatus(t, up, id, "", "FAILED")
	}
	keyFailed := startFailed("REF-KEY", func(doc map[string]any) {
		section(doc, "snowflake")["private_key_ref"] = "env:REPOLINK_TEST_OTHER_KEY"
	})
	indexFailed := startFailed("REF-IDX", func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_OTHER_PW"}
	})

	tests := []struct {
		command, execution, field, ref string
	}{
		{"redrive", "REF-KEY", "$.snowflake.private_key_ref", "env:REPOLINK_TEST_OTHER_KEY"},
		{"teardown", "REF-KEY", "$.snowflake.private_key_ref", "env:REPOLINK_TEST_OTHER_KEY"},
		{"redrive", "REF-IDX", "$.repository.auth.password_ref", "env:REPOLINK_TEST_OTHER_PW"},
	}
	for _, tt := range tests {
		t.Run(tt.command+" "+tt.execution, func(t *testing.T) {
			code, out, errOut := runCLIWithin(t, tt.command, "--sandbox", "--state-dir", dir, tt.execution)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}
			if !strings.Contains(errOut, tt.field+": "+tt.ref+" is not allowed") {
				t.Errorf("stderr does not name %s and %s:\n%s", tt.field, tt.ref, errOut)
			}
			if !strings.Contains(errOut, "execution "+tt.execution) {
				t.Errorf("stderr does not name execution %s:\n%s", tt.execution, errOut)
			}
			if !strings.Contains(errOut, "restart repolink up with the reference in --allow-local-refs") {
				t.Errorf("stderr does not say how to allow the reference:\n%s", errOut)
			}
			closing := "nothing was started"
			if tt.command == "teardown" {
				closing = "nothing was deleted or started"
			}
			if !strings.Contains(errOut, closing) {
				t.Errorf("stderr does not say %q:\n%s", closing, errOut)
			}
			if strings.Contains(errOut, "other-index-password") || strings.Contains(errOut, "other-snowflake-key") {
				t.Errorf("stderr contains a secret value:\n%s", errOut)
			}
		})
	}

	for _, failed := range []executionView{keyFailed, indexFailed} {
		after := waitForStatus(t, up, failed.Name, "", "FAILED")
		if after.RedriveCount != failed.RedriveCount {
			t.Errorf("redrive count of %s = %d, want %d", failed.Name, after.RedriveCount, failed.RedriveCount)
		}
	}
	var list struct{ Executions []executionView }
	if code := getJSON(t, up.url+"/v1/executions", "", &list); code != http.StatusOK {
		t.Fatalf("GET /v1/executions = %d, want 200", code)
	}
	if len(list.Executions) != 2 {
		t.Errorf("%d executions, want REF-KEY and REF-IDX alone: %+v", len(list.Executions), list.Executions)
	}

	// The teardown steps do not read the repository credential, so its
	// reference does not stop a teardown.
	if code, out, errOut := runCLIWithin(t, "teardown", "--sandbox", "--state-dir", dir, "REF-IDX"); code != exitOK {
		t.Errorf("teardown REF-IDX: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
}
