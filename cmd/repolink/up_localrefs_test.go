package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// readSandboxState returns every file under the sandbox world of dir as
// one string, so that a test can check that no secret value reached it.
func readSandboxState(t *testing.T, dir string) string {
	t.Helper()
	var all strings.Builder
	err := filepath.WalkDir(filepath.Join(dir, "sandbox"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		all.Write(data)
		return nil
	})
	if err != nil {
		t.Fatalf("read sandbox state: %v", err)
	}
	return all.String()
}

func fieldPaths(errs []request.FieldError) []string {
	var paths []string
	for _, f := range errs {
		paths = append(paths, f.Path)
	}
	return paths
}

func TestUpRejectsLocalRefRequests(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none")

	tests := []struct {
		name  string
		edit  func(doc map[string]any)
		field string
	}{
		{
			name: "webhook secret as index password",
			edit: func(doc map[string]any) {
				section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:" + envWebhookSecret}
			},
			field: "$.repository.auth.password_ref",
		},
		{
			name:  "host file as private key",
			edit:  func(doc map[string]any) { section(doc, "snowflake")["private_key_ref"] = "file:/etc/hostname" },
			field: "$.snowflake.private_key_ref",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message := postRejectedRequest(t, up.url, "LOCAL-"+strings.ReplaceAll(tt.name, " ", "-"), tt.edit, tt.field)
			if !strings.Contains(message, "--allow-local-refs") {
				t.Errorf("message %q does not name --allow-local-refs", message)
			}
		})
	}

	var list struct{ Executions []executionView }
	if code := getJSON(t, up.url+"/v1/executions", "", &list); code != http.StatusOK || len(list.Executions) != 0 {
		t.Errorf("GET /v1/executions = %d with %d executions, want 200 with none", code, len(list.Executions))
	}
	if strings.Contains(readSandboxState(t, dir), testWebhookSecret) {
		t.Error("the sandbox state contains the webhook secret")
	}
}

// A StartExecution call skips the intake checks, so the steps must reject
// the reference themselves.
func TestUpStepRejectsLocalRef(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none")

	req, err := readRequest(writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:" + envWebhookSecret}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if code := startExecutionAPI(t, http.DefaultClient, up.url, "LOCAL-REF-1", req); code != http.StatusOK {
		t.Fatalf("StartExecution = %d, want 200", code)
	}

	v := waitForStatus(t, up, "LOCAL-REF-1", "", "FAILED")
	view, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(view), "not allowed") || !strings.Contains(string(view), "repository.auth.password_ref") {
		t.Errorf("execution LOCAL-REF-1 = %s, want a failure naming the field and the rejection", view)
	}
	var history struct{ Events []eventView }
	if code := getJSON(t, up.url+"/v1/executions/LOCAL-REF-1/history", "", &history); code != http.StatusOK {
		t.Fatalf("GET history = %d, want 200", code)
	}
	events, err := json.Marshal(history.Events)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(events), testWebhookSecret) {
		t.Error("the execution history contains the webhook secret")
	}
	if strings.Contains(readSandboxState(t, dir), testWebhookSecret) {
		t.Error("the sandbox state contains the webhook secret")
	}
	if strings.Contains(up.logs.String(), testWebhookSecret) {
		t.Error("the service log contains the webhook secret")
	}
}

func TestUpServesAllowedLocalRef(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", "allowed-index-password")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none", "--allow-local-refs", "env:REPOLINK_TEST_INDEX_*")

	body, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_INDEX_PASSWORD"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
	if code != http.StatusAccepted {
		t.Fatalf("request with an allowed reference = %d %+v, want 202\nlogs:\n%s", code, resp, up.logs)
	}
	waitForStatus(t, up, resp.Execution, "", "SUCCEEDED")
}

func TestUpRejectsMappedCredentialRef(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_JIRA_SECRET", "up-test-jira-secret")
	data, err := os.ReadFile("../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	var mapping map[string]any
	if err := json.Unmarshal(data, &mapping); err != nil {
		t.Fatal(err)
	}
	section(mapping, "fields")["repository.auth.password_ref"] = "issue.fields.customfield_10299"
	mappingPath := filepath.Join(t.TempDir(), "jira-mapping.json")
	out, _ := json.Marshal(mapping)
	if err := os.WriteFile(mappingPath, out, 0o600); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	code, _, errOut := runCLI(t, "up", "--state-dir", dir, "--sandbox", "--sandbox-latency", "none", "--jira-mapping", mappingPath)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if want := "$.fields['repository.auth.password_ref']"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q does not name %s", errOut, want)
	}
	if !strings.Contains(errOut, "credential reference") {
		t.Errorf("stderr %q does not say the field is a credential reference", errOut)
	}
}

// Every credential that the intake cannot read or use is reported at the
// JSON path of its field, also when the reference itself is allowed.
func TestUpCredentialErrorPaths(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	refs := t.TempDir()
	blank := filepath.Join(refs, "blank")
	notKey := filepath.Join(refs, "not-a-key")
	for path, content := range map[string]string{blank: " \n\t\n", notKey: "not a PEM key\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none",
		"--allow-local-refs", "file:"+refs+"/*,env:REPOLINK_TEST_UNSET_*")

	tests := []struct {
		name    string
		edit    func(doc map[string]any)
		field   string
		message string
	}{
		{
			name: "whitespace file password",
			edit: func(doc map[string]any) {
				section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "file:" + blank}
			},
			field:   "$.repository.auth.password_ref",
			message: "empty or only whitespace",
		},
		{
			name: "missing file token",
			edit: func(doc map[string]any) {
				section(doc, "repository")["auth"] = map[string]any{"type": "token", "token_ref": "file:" + filepath.Join(refs, "missing")}
			},
			field:   "$.repository.auth.token_ref",
			message: "no such file",
		},
		{
			name: "unset environment password",
			edit: func(doc map[string]any) {
				section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_UNSET_PASSWORD"}
			},
			field:   "$.repository.auth.password_ref",
			message: "is not set",
		},
		{
			name:    "private key not PEM",
			edit:    func(doc map[string]any) { section(doc, "snowflake")["private_key_ref"] = "file:" + notKey },
			field:   "$.snowflake.private_key_ref",
			message: "snowflake.private_key_ref",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message := postRejectedRequest(t, up.url, fmt.Sprintf("DATA-CRED-%d", i), tt.edit, tt.field)
			if !strings.Contains(message, tt.message) {
				t.Errorf("message %q does not contain %q", message, tt.message)
			}
		})
	}
}

// postRejectedRequest posts the example request with id as its ID and edit
// applied to the up server at url, checks that the server rejects it with
// 400 and one field error at field, and returns that error's message.
func postRejectedRequest(t *testing.T, url, id string, edit func(map[string]any), field string) string {
	t.Helper()
	body, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		doc["id"] = id
		edit(doc)
	}))
	if err != nil {
		t.Fatal(err)
	}
	code, resp := postSigned(t, url+"/v1/requests", body, testWebhookSecret)
	if code != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400; response %+v", code, resp)
	}
	if paths := fieldPaths(resp.Errors); !slices.Equal(paths, []string{field}) {
		t.Fatalf("field errors = %v, want [%s]", paths, field)
	}
	return resp.Errors[0].Message
}

// TestRunChecksLocalRefsOfUp checks that run rejects a request whose env:
// reference the serving repolink up does not allow, or that names a secret
// of the service. It exits 2 and starts no execution, as POST
// /v1/requests rejects the request.
func TestRunChecksLocalRefsOfUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_TEST_OTHER_PW", "other-index-password")
	dir := t.TempDir()
	startUp(t, dir, "--sandbox-latency", "none", "--allow-local-refs", "env:REPOLINK_TEST_SF_PW,env:REPOLINK_TEST_IDX_PW")

	tests := []struct {
		name string
		ref  string
		want string
	}{
		{"not allowed", "env:REPOLINK_TEST_OTHER_PW", "restart repolink up with the reference in --allow-local-refs"},
		{"secret of up", "env:" + envWebhookSecret, "env:" + envWebhookSecret + " is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := writeRequest(t, func(doc map[string]any) {
				section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": tt.ref}
			})
			for attempt := 1; attempt <= 2; attempt++ {
				code, out, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, req)
				if code != exitInvalid {
					t.Fatalf("run %d: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", attempt, code, exitInvalid, out, errOut)
				}
				if !strings.Contains(errOut, "$.repository.auth.password_ref: "+tt.ref+" is not allowed") {
					t.Errorf("run %d: stderr does not name the field and reference:\n%s", attempt, errOut)
				}
				if !strings.Contains(errOut, tt.want) {
					t.Errorf("run %d: stderr does not contain %q:\n%s", attempt, tt.want, errOut)
				}
				if !strings.Contains(errOut, "nothing was created") {
					t.Errorf("run %d: stderr does not say that nothing was created:\n%s", attempt, errOut)
				}
				if strings.Contains(errOut, "other-index-password") || strings.Contains(errOut, testWebhookSecret) {
					t.Errorf("run %d: stderr contains a secret value:\n%s", attempt, errOut)
				}
			}
		})
	}

	allowed, err := readRequest(writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_IDX_PW"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkServedLocalRefs(dir, allowed); err != nil {
		t.Errorf("check of a reference that up allows: %v", err)
	}

	code, out, errOut := runCLI(t, "list", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("list: exit %d\nstderr:\n%s", code, errOut)
	}
	if strings.Contains(out, "DATA-4711") {
		t.Errorf("list shows an execution of the rejected request:\n%s", out)
	}
}
