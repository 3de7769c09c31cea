package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnreadableCredentialCreatesNothing(t *testing.T) {
	const unset, empty = "REPOLINK_TEST_UNSET_VARIABLE", "REPOLINK_TEST_EMPTY_VARIABLE"
	// Setenv restores both variables when the test ends.
	t.Setenv(unset, "")
	os.Unsetenv(unset)
	t.Setenv(empty, "")
	missingFile := filepath.Join(t.TempDir(), "no-such-key.pem")
	notKey := filepath.Join(t.TempDir(), "not-a-key.pem")
	if err := os.WriteFile(notKey, []byte("not-a-key-c2VjcmV0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	blankFile := filepath.Join(t.TempDir(), "blank-password")
	if err := os.WriteFile(blankFile, []byte("  \t \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(map[string]any)
		command string
		want    []string
	}{
		{
			name:    "env password with run",
			edit:    func(doc map[string]any) { section(section(doc, "repository"), "auth")["password_ref"] = "env:" + unset },
			command: "run",
			want:    []string{"$.repository.auth.password_ref", "environment variable " + unset + " is not set", "set the environment variable"},
		},
		{
			name:    "env password with preflight",
			edit:    func(doc map[string]any) { section(section(doc, "repository"), "auth")["password_ref"] = "env:" + unset },
			command: "preflight",
			want:    []string{"$.repository.auth.password_ref", "set the environment variable"},
		},
		{
			name: "empty token with run",
			edit: func(doc map[string]any) {
				auth := section(section(doc, "repository"), "auth")
				auth["type"], auth["token_ref"] = "token", "env:"+empty
				delete(auth, "password_ref")
				delete(auth, "username")
			},
			command: "run",
			want:    []string{"$.repository.auth.token_ref", "value is empty", "set the environment variable"},
		},
		{
			name: "whitespace file password with run",
			edit: func(doc map[string]any) {
				section(section(doc, "repository"), "auth")["password_ref"] = "file:" + blankFile
			},
			command: "run",
			want:    []string{"$.repository.auth.password_ref", "file:" + blankFile, "empty or only whitespace", "create the file"},
		},
		{
			name: "whitespace file password with preflight",
			edit: func(doc map[string]any) {
				section(section(doc, "repository"), "auth")["password_ref"] = "file:" + blankFile
			},
			command: "preflight",
			want:    []string{"$.repository.auth.password_ref", "empty or only whitespace"},
		},
		{
			name:    "file private key with run",
			edit:    func(doc map[string]any) { section(doc, "snowflake")["private_key_ref"] = "file:" + missingFile },
			command: "run",
			want:    []string{"$.snowflake.private_key_ref", "no-such-key.pem", "create the file"},
		},
		{
			name:    "file that is not a key with run",
			edit:    func(doc map[string]any) { section(doc, "snowflake")["private_key_ref"] = "file:" + notKey },
			command: "run",
			want:    []string{"$.snowflake.private_key_ref", "no PEM block found", "RSA private key in PEM"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			code, _, errOut := runCLI(t, tt.command, "--sandbox", "--state-dir", dir, writeRequest(t, tt.edit))
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			for _, want := range append(tt.want, "nothing was created") {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q does not contain %q", errOut, want)
				}
			}
			if strings.Contains(errOut, "c2VjcmV0") {
				t.Errorf("stderr shows the content of the credential: %s", errOut)
			}
			if exists(dir) {
				t.Errorf("%s created the state directory", tt.command)
			}
		})
	}
}

func TestServiceSecretDeniedThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed")
	if err := os.Mkdir(allowed, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(allowed, "webhook-secret"), []byte("whsec-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(dir, "alias")
	if err := os.Symlink(allowed, alias); err != nil {
		t.Fatal(err)
	}
	allow, err := parseLocalRefs("file:" + allowed + "/*")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(allowed)

	tests := []struct {
		name string
		ref  string
	}{
		{"path through a linked directory", "file:" + alias + "/webhook-secret"},
		{"relative path", "file:webhook-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := denyServiceSecrets(allow, []string{tt.ref})
			if err == nil {
				t.Fatalf("allow-list %s/* accepted, though it allows the service secret %s", allowed, tt.ref)
			}
			if !strings.Contains(err.Error(), "a secret of repolink up itself") {
				t.Errorf("error %q does not say that the secret is repolink up's own", err)
			}
		})
	}
	if _, err := denyServiceSecrets(allow, []string{"file:" + filepath.Join(dir, "elsewhere")}); err != nil {
		t.Errorf("secret outside the allowed directory rejected: %v", err)
	}
}
