//go:build linux || darwin

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// makeFIFO creates a named pipe in a new directory and returns its path.
// When the test ends, it opens the pipe for writing and closes it, so that
// a reader still blocked on the pipe gets end of file and does not outlive
// the test.
func makeFIFO(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	return path
}

// runCLIPromptly runs the command in-process as runCLI does and fails the
// test when it does not return within 10 seconds. A read that blocks in
// the kernel, such as opening a named pipe, ignores a cancelled context,
// so the command runs in its own goroutine.
func runCLIPromptly(t *testing.T, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		done <- result{code, stderr.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.stderr
	case <-time.After(10 * time.Second):
		t.Fatalf("repolink %s did not return within 10 seconds", strings.Join(args, " "))
		return 0, ""
	}
}

func TestCredentialFileRejectedPromptly(t *testing.T) {
	dir := t.TempDir()
	fifo := makeFIFO(t, dir)
	large := filepath.Join(dir, "large")
	f, err := os.Create(large)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file of 169 MB: reading it whole would take that much
	// memory.
	if err := f.Truncate(169 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	withNUL := filepath.Join(dir, "with-nul")
	if err := os.WriteFile(withNUL, []byte("c2VjcmV0\x00c2VjcmV0\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		path string
		want []string
	}{
		{"named pipe", fifo, []string{"named pipe", "regular file"}},
		{"device", "/dev/zero", []string{"character device", "regular file"}},
		{"large file", large, []string{"177209344 bytes", "limit for a credential is 65536 bytes"}},
		{"NUL byte", withNUL, []string{"control character"}},
	}
	for _, tt := range tests {
		for _, command := range []string{"preflight", "run"} {
			t.Run(tt.name+" with "+command, func(t *testing.T) {
				req := writeRequest(t, func(doc map[string]any) {
					section(section(doc, "repository"), "auth")["password_ref"] = "file:" + tt.path
				})
				state := filepath.Join(t.TempDir(), "state")
				code, errOut := runCLIPromptly(t, command, "--sandbox", "--state-dir", state, req)
				if code != exitInvalid {
					t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
				}
				for _, want := range append(tt.want, "$.repository.auth.password_ref", "file:"+tt.path, "nothing was created") {
					if !strings.Contains(errOut, want) {
						t.Errorf("stderr %q does not contain %q", errOut, want)
					}
				}
				if strings.Contains(errOut, "c2VjcmV0") {
					t.Errorf("stderr shows the content of the credential: %s", errOut)
				}
			})
		}
	}
}

func TestRequestFileMustBeRegular(t *testing.T) {
	fifo := makeFIFO(t, t.TempDir())
	for _, command := range []string{"run", "preflight", "plan"} {
		t.Run(command, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state")
			code, errOut := runCLIPromptly(t, command, "--sandbox", "--state-dir", state, fifo)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			for _, want := range []string{fifo, "named pipe", "regular file"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q does not contain %q", errOut, want)
				}
			}
		})
	}
}

func TestInvokeInputMustBeRegular(t *testing.T) {
	fifo := makeFIFO(t, t.TempDir())
	state := filepath.Join(t.TempDir(), "state")
	code, errOut := runCLIPromptly(t, "invoke", "--sandbox", "--state-dir", state, "--input", fifo, "preflight")
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	for _, want := range []string{"--input", "named pipe"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
}

func TestUpMappingFileMustBeRegular(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_JIRA_SECRET", "up-test-jira-secret")
	fifo := makeFIFO(t, t.TempDir())
	state := filepath.Join(t.TempDir(), "state")
	code, errOut := runCLIPromptly(t, "up", "--state-dir", state, "--sandbox", "--sandbox-latency", "none", "--jira-mapping", fifo)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	for _, want := range []string{"--jira-mapping", "named pipe"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
}

// postSignedWithin posts a signed request as postSigned does, but fails
// the test when the service does not respond within 15 seconds.
func postSignedWithin(t *testing.T, url string, body []byte) (int, webhook.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	webhook.SetSignature(req.Header, []byte(testWebhookSecret), time.Now(), body)
	client := &http.Client{Timeout: 15 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	var resp webhook.Response
	_ = json.NewDecoder(res.Body).Decode(&resp)
	return res.StatusCode, resp
}

// A credential in a named pipe is rejected at once, both by the intake and
// by the preflight step of an execution started through the Step Functions
// API, and the service then starts and runs the next request.
func TestUpNamedPipeCredentialDoesNotStall(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("REPOLINK_TEST_INDEX_PASSWORD", "allowed-index-password")
	refs := t.TempDir()
	fifo := makeFIFO(t, refs)
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none",
		"--allow-local-refs", "file:"+refs+"/*,env:REPOLINK_TEST_INDEX_*")

	blockedPath := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "DATA-FIFO-1"
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "file:" + fifo}
	})
	blocked, err := os.ReadFile(blockedPath)
	if err != nil {
		t.Fatal(err)
	}
	code, first := postSignedWithin(t, up.url+"/v1/requests", blocked)
	if code != http.StatusBadRequest {
		t.Fatalf("request with a named pipe = %d %+v, want 400\nlogs:\n%s", code, first, up.logs)
	}
	if len(first.Errors) != 1 || first.Errors[0].Path != "$.repository.auth.password_ref" {
		t.Errorf("errors = %+v, want one for $.repository.auth.password_ref", first.Errors)
	} else if !strings.Contains(first.Errors[0].Message, "named pipe") {
		t.Errorf("message %q does not say the credential is a named pipe", first.Errors[0].Message)
	}

	// StartExecution skips the intake, so the preflight step reads the
	// named pipe itself.
	req, err := readRequest(blockedPath)
	if err != nil {
		t.Fatal(err)
	}
	startExecutionWithin(t, up.url, "FIFO-STEP-1", req)
	failed := waitForStatus(t, up, "FIFO-STEP-1", "", "FAILED")
	if !strings.Contains(failed.Cause, "named pipe") {
		t.Errorf("cause %q does not say the credential is a named pipe", failed.Cause)
	}

	valid, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		doc["id"] = "DATA-FIFO-2"
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_INDEX_PASSWORD"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	code, second := postSignedWithin(t, up.url+"/v1/requests", valid)
	if code != http.StatusAccepted {
		t.Fatalf("valid request = %d %+v, want 202\nlogs:\n%s", code, second, up.logs)
	}
	waitForStatus(t, up, second.Execution, "", "SUCCEEDED")
}

// startExecutionWithin starts a provision execution of req through the
// Step Functions API of repolink up and fails the test when the service
// does not respond within 15 seconds.
func startExecutionWithin(t *testing.T, url, name string, req request.Request) {
	t.Helper()
	client := &http.Client{Timeout: 15 * time.Second}
	if code := startExecutionAPI(t, client, url, name, req); code != http.StatusOK {
		t.Fatalf("StartExecution = %d, want 200", code)
	}
}
