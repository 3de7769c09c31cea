package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWithLocalCredentials runs the example request in the sandbox with its
// Snowflake key in a file and its index password in the environment
// variable passwordVar, and returns the request file and the key file.
func runWithLocalCredentials(t *testing.T, dir, passwordVar string) (string, string) {
	t.Helper()
	t.Setenv(passwordVar, "index-password-for-teardown-test")
	keyFile := writePrivateKeyFile(t)
	req := writeRequest(t, func(doc map[string]any) {
		section(doc, "snowflake")["private_key_ref"] = "file:" + keyFile
		section(section(doc, "repository"), "auth")["password_ref"] = "env:" + passwordVar
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	return req, keyFile
}

// writePrivateKeyFile writes a new unencrypted RSA key in PKCS #8 PEM to a
// file in a temporary directory and returns the file's path.
func writePrivateKeyFile(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "snowflake.p8")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile
}

func TestTeardownWithoutIndexPassword(t *testing.T) {
	const passwordVar = "REPOLINK_TEST_TEARDOWN_INDEX_PASSWORD"
	dir := t.TempDir()
	runWithLocalCredentials(t, dir, passwordVar)
	os.Unsetenv(passwordVar)

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("teardown exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
	if !strings.Contains(out, "6 deleted") {
		t.Errorf("teardown output lacks its deletions:\n%s", out)
	}
}

func TestTeardownMissingKeyDeletesNothing(t *testing.T) {
	const passwordVar = "REPOLINK_TEST_TEARDOWN_INDEX_PASSWORD"
	dir := t.TempDir()
	_, keyFile := runWithLocalCredentials(t, dir, passwordVar)
	os.Unsetenv(passwordVar)
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitInvalid {
		t.Fatalf("teardown exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, "$.snowflake.private_key_ref") {
		t.Errorf("stderr does not name the Snowflake key:\n%s", errOut)
	}
	if strings.Contains(errOut, "$.repository.auth.password_ref") {
		t.Errorf("stderr names the index password, which teardown does not read:\n%s", errOut)
	}
	if !strings.HasSuffix(strings.TrimSpace(errOut), "nothing was deleted or started") {
		t.Errorf("stderr does not end with what teardown left unchanged:\n%s", errOut)
	}
	if strings.Contains(errOut, "nothing was created") {
		t.Errorf("stderr says nothing was created, which is not what a teardown does:\n%s", errOut)
	}
}

func TestResumedTeardownWithoutIndexPassword(t *testing.T) {
	const passwordVar = "REPOLINK_TEST_TEARDOWN_INDEX_PASSWORD"
	dir := t.TempDir()
	runWithLocalCredentials(t, dir, passwordVar)
	os.Unsetenv(passwordVar)
	startLeftTeardown(t, dir, "DATA-4711")

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("teardown exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
	if !strings.Contains(out, "6 deleted") {
		t.Errorf("teardown output lacks its deletions:\n%s", out)
	}
	if strings.Contains(errOut, passwordVar) {
		t.Errorf("resuming the teardown read the index password:\n%s", errOut)
	}
}
