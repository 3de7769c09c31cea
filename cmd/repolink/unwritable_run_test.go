//go:build linux

package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRunReadOnlyStateDir checks that a run on an existing state directory
// that denies writes fails with status 1 and an error that names the
// directory and the cause, as a run whose directory fails later does.
func TestRunReadOnlyStateDir(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, modeFile), []byte("sandbox\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	makeReadOnly(t, dir)

	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir,
		filepath.Join("..", "..", "examples", "public.json"))
	if code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFailed, errOut)
	}
	if want := "the state store in " + dir + " is read-only"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q does not contain %q", errOut, want)
	}
	if strings.Contains(errOut, ".write-check-") {
		t.Errorf("stderr %q names the write check file", errOut)
	}
}

// fileLimitChild is set in the environment of the child process that
// TestRunFileSizeLimit starts, to the state directory of the run.
const fileLimitChild = "REPOLINK_TEST_FILE_LIMIT_DIR"

// TestRunFileSizeLimit checks that a run whose store files reach the file
// size limit of the process (ulimit -f) fails with status 1 and an error
// that names the directory and calls the file too large. The limit is
// set in a child process, so that it does not reach the test's own files.
func TestRunFileSizeLimit(t *testing.T) {
	if dir := os.Getenv(fileLimitChild); dir != "" {
		runFileSizeLimitChild(t, dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "st")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestRunFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), fileLimitChild+"="+dir, "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestRunFileSizeLimit") {
		t.Fatalf("child test did not pass:\n%s", out)
	}
}

func runFileSizeLimitChild(t *testing.T, dir string) {
	// 40 KiB, as ulimit -f 40 sets it, is less than a new engine store.
	limit := syscall.Rlimit{Cur: 40 << 10, Max: 40 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatalf("set RLIMIT_FSIZE: %v", err)
	}
	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir,
		filepath.Join("..", "..", "examples", "aws-privatelink.json"))
	if code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFailed, errOut)
	}
	for _, want := range []string{"the state store in " + dir, "file too large", "ulimit -f"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
}

// TestRunReadOnlySandboxWorld checks that a run whose sandbox cannot save
// its AWS world fails with status 1 and an error that names the state
// directory as read-only, in place of the sandbox's InternalError.
func TestRunReadOnlySandboxWorld(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	examples := filepath.Join("..", "..", "examples")
	if code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir,
		filepath.Join(examples, "public.json")); code != exitOK {
		t.Fatalf("first run: exit %d; stderr: %s", code, errOut)
	}
	makeReadOnly(t, filepath.Join(dir, "sandbox", "aws"))

	code, stdout, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir,
		filepath.Join(examples, "aws-privatelink.json"))
	if code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFailed, errOut)
	}
	if want := "the state store in " + dir + " is read-only"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q does not contain %q", errOut, want)
	}
	if strings.Contains(stdout+errOut, "InternalError") {
		t.Errorf("output shows the sandbox's InternalError:\n%s%s", stdout, errOut)
	}
}

// upFileLimitChild is set in the environment of the child process that
// TestUpFileSizeLimit starts, to the state directory of the service.
const upFileLimitChild = "REPOLINK_TEST_UP_FILE_LIMIT_DIR"

// TestUpFileSizeLimit checks that repolink up whose engine store reaches
// the file size limit of the process reports /healthz unhealthy and logs
// the state directory with the cause. The limit is set in a child process.
func TestUpFileSizeLimit(t *testing.T) {
	if dir := os.Getenv(upFileLimitChild); dir != "" {
		runUpFileSizeLimitChild(t, dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "st")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestUpFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), upFileLimitChild+"="+dir, "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestUpFileSizeLimit") {
		t.Fatalf("child test did not pass:\n%s", out)
	}
}

func runUpFileSizeLimitChild(t *testing.T, dir string) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	// 400 KiB lets the service start, and the engine's write-ahead log
	// passes it while the first execution runs.
	limit := syscall.Rlimit{Cur: 400 << 10, Max: 400 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatalf("set RLIMIT_FSIZE: %v", err)
	}
	up := startUp(t, dir, "--sandbox-latency", "none")
	body, err := os.ReadFile(writeRequest(t, func(map[string]any) {}))
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("first request = %d %+v, want 202", code, resp)
	}

	waitFor(t, "healthz to report the store unwritable", func() bool {
		return getJSON(t, up.url+"/healthz", "", nil) == http.StatusServiceUnavailable
	})
	logs := up.logs.String()
	for _, want := range []string{"state store cannot take writes", "the state store in " + dir, "file too large"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}
