package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestAllowListAllows(t *testing.T) {
	list, err := ParseAllowList([]string{"env:SNOWFLAKE_KEY", " env:REQUEST_* ", "file:/run/secrets/*", "file:/etc/repolink/token", ""})
	if err != nil {
		t.Fatalf("ParseAllowList: %v", err)
	}
	tests := []struct {
		ref  string
		want bool
	}{
		{"env:SNOWFLAKE_KEY", true},
		{"env:SNOWFLAKE_KEY_2", false},
		{"env:REQUEST_TOKEN", true},
		{"env:REPOLINK_WEBHOOK_SECRET", false},
		{"file:/run/secrets/index-token", true},
		{"file:/run/secrets/../../etc/shadow", false},
		{"file:/run/secrets//index-token", true},
		{"file:/run/secrets/./index-token", true},
		{"file:key", false},
		{"file:/etc/repolink/token", true},
		{"file:/etc/hostname", false},
		{"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:key", true},
	}
	for _, tt := range tests {
		if got := list.Allows(tt.ref); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}

func TestAllowListZeroAllowsNoLocalRef(t *testing.T) {
	var list AllowList
	for _, ref := range []string{"env:HOME", "file:/etc/hostname"} {
		if list.Allows(ref) {
			t.Errorf("zero AllowList allows %s", ref)
		}
	}
	if !list.Allows("gcp-secretmanager:projects/p/secrets/s/versions/1") {
		t.Error("zero AllowList rejects a gcp-secretmanager reference")
	}
}

func TestParseAllowListInvalid(t *testing.T) {
	tests := []struct {
		entry string
		want  string
	}{
		{"*", "must start with the scheme env or file"},
		{"SNOWFLAKE_KEY", "must start with the scheme env or file"},
		{"aws-secretsmanager:*", "must start with the scheme env or file"},
		{"env:A*B", "only as its last character"},
		{"file:relative/key.pem", "absolute path"},
		{"file:/run/secrets/../key.pem", "absolute path"},
		{"file:run/*", "absolute path"},
	}
	for _, tt := range tests {
		_, err := ParseAllowList([]string{tt.entry})
		if err == nil {
			t.Errorf("ParseAllowList(%q) succeeded", tt.entry)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAllowList(%q) error %q does not contain %q", tt.entry, err, tt.want)
		}
	}
}

func TestRestrictedResolverRejectsLocalRefs(t *testing.T) {
	const value = "whsec-Abc123XyzSecret"
	t.Setenv("REPOLINK_TEST_DENIED", value)
	t.Setenv("REPOLINK_TEST_ALLOWED", "allowed-value")
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := ParseAllowList([]string{"env:REPOLINK_TEST_ALLOWED"})
	if err != nil {
		t.Fatal(err)
	}
	resolver := NewResolver().Restrict(list, "use a secret store reference")

	for _, ref := range []string{"env:REPOLINK_TEST_DENIED", "file:" + file} {
		got, err := resolver.Resolve(context.Background(), ref)
		if got != "" {
			t.Errorf("Resolve(%s) returned a value", ref)
		}
		var notAllowed *NotAllowedError
		if !errors.As(err, &notAllowed) {
			t.Fatalf("Resolve(%s) error = %v, want *NotAllowedError", ref, err)
		}
		if strings.Contains(err.Error(), value) {
			t.Errorf("Resolve(%s) error contains the secret value", ref)
		}
		if !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "use a secret store reference") {
			t.Errorf("Resolve(%s) error %q does not name the reference and the fix", ref, err)
		}
		if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
			t.Errorf("Resolve(%s) error name = %q, want %s", ref, name, workflow.ErrInvalidRequest)
		}
	}
	got, err := resolver.Resolve(context.Background(), "env:REPOLINK_TEST_ALLOWED")
	if err != nil || got != "allowed-value" {
		t.Errorf("Resolve(env:REPOLINK_TEST_ALLOWED) = %q, %v; want the value", got, err)
	}
}

// TestRestrictedResolverRelativeFile checks that a restricted resolver
// rejects a relative file: reference with the advice to give an absolute
// path, because no allow-list entry can name a relative path.
func TestRestrictedResolverRelativeFile(t *testing.T) {
	list, err := ParseAllowList([]string{"file:/*"})
	if err != nil {
		t.Fatal(err)
	}
	resolver := NewResolver().Restrict(list, "use a secret store reference")

	_, err = resolver.Resolve(context.Background(), "file:keys/index-token")
	var notAllowed *NotAllowedError
	if !errors.As(err, &notAllowed) {
		t.Fatalf("error = %v, want *NotAllowedError", err)
	}
	if !strings.Contains(err.Error(), "only by its absolute path") {
		t.Errorf("error %q does not ask for an absolute path", err)
	}
	if !strings.Contains(err.Error(), "use a secret store reference") {
		t.Errorf("error %q does not carry the fix", err)
	}
}

func TestRestrictKeepsOriginalResolver(t *testing.T) {
	t.Setenv("REPOLINK_TEST_OPERATOR", "operator-value")
	resolver := NewResolver()
	_ = resolver.Restrict(AllowList{}, "fix")
	got, err := resolver.Resolve(context.Background(), "env:REPOLINK_TEST_OPERATOR")
	if err != nil || got != "operator-value" {
		t.Errorf("Resolve = %q, %v; want the value", got, err)
	}
}

func TestAllowListFieldErrors(t *testing.T) {
	req := request.Request{
		Snowflake: request.Snowflake{PrivateKeyRef: "file:/etc/hostname"},
		Repository: request.Repository{Auth: request.Auth{
			Type: "password", Username: "u", PasswordRef: "env:REPOLINK_WEBHOOK_SECRET",
		}},
	}
	fields := AllowList{}.FieldErrors(req, "ask the operator")
	if len(fields) != 2 {
		t.Fatalf("got %d field errors, want 2: %+v", len(fields), fields)
	}
	if fields[0].Path != "$.snowflake.private_key_ref" {
		t.Errorf("first path = %s, want $.snowflake.private_key_ref", fields[0].Path)
	}
	if fields[1].Path != "$.repository.auth.password_ref" {
		t.Errorf("second path = %s, want $.repository.auth.password_ref", fields[1].Path)
	}
	for _, f := range fields {
		if !strings.Contains(f.Message, "ask the operator") {
			t.Errorf("message %q does not carry the fix", f.Message)
		}
	}
}

// TestAllowListFieldErrorsRelativeFile checks that a relative file:
// reference is rejected with the advice to give an absolute path, even by
// a list that allows every file, because no allow-list entry can name a
// relative path.
func TestAllowListFieldErrorsRelativeFile(t *testing.T) {
	list, err := ParseAllowList([]string{"file:/*"})
	if err != nil {
		t.Fatal(err)
	}
	req := request.Request{
		Snowflake: request.Snowflake{PrivateKeyRef: "file:keys/snowflake.pem"},
	}
	fields := list.FieldErrors(req, "ask the operator")
	if len(fields) != 1 {
		t.Fatalf("got %d field errors, want 1: %+v", len(fields), fields)
	}
	if fields[0].Path != "$.snowflake.private_key_ref" {
		t.Errorf("path = %s, want $.snowflake.private_key_ref", fields[0].Path)
	}
	if !strings.Contains(fields[0].Message, "only by its absolute path") {
		t.Errorf("message %q does not ask for an absolute path", fields[0].Message)
	}
	if !strings.Contains(fields[0].Message, "ask the operator") {
		t.Errorf("message %q does not carry the fix", fields[0].Message)
	}
}

// symlinkTree creates, under a temporary directory:
//
//	allowed/key          a file
//	allowed/escape       a symbolic link to outside/secret
//	allowed/dangling     a symbolic link to outside/later, which does not exist
//	outside/secret       a file
//	outside/exact        a file
//	alias                a symbolic link to allowed
//	exact-link           a symbolic link to outside/exact
//
// and returns the temporary directory.
func symlinkTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"allowed", "outside"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{"allowed/key", "outside/secret", "outside/exact"} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte("value of "+file+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"allowed/escape":   "outside/secret",
		"allowed/dangling": "outside/later",
		"alias":            "allowed",
		"exact-link":       "outside/exact",
	}
	for link, target := range links {
		if err := os.Symlink(filepath.Join(dir, target), filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAllowListResolvesSymlinks(t *testing.T) {
	dir := symlinkTree(t)
	list, err := ParseAllowList([]string{"file:" + dir + "/allowed/*", "file:" + dir + "/exact-link"})
	if err != nil {
		t.Fatalf("ParseAllowList: %v", err)
	}
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"file in allowed directory", "/allowed/key", true},
		{"link out of allowed directory", "/allowed/escape", false},
		{"dangling link out of allowed directory", "/allowed/dangling", false},
		{"dot dot out of allowed directory", "/allowed/../outside/secret", false},
		{"missing file in allowed directory", "/allowed/later", true},
		{"dot dot after a missing directory", "/allowed/missing/../../outside/secret", false},
		{"allowed directory through a link", "/alias/key", true},
		{"link out through a linked directory", "/alias/escape", false},
		{"doubled slash", "/allowed//key", true},
		{"dot element", "/allowed/./key", true},
		{"exact entry that is a link", "/exact-link", true},
		{"target of exact entry", "/outside/exact", true},
		{"other file beside target", "/outside/secret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list.Allows("file:" + dir + tt.path); got != tt.want {
				t.Errorf("Allows(file:%s%s) = %v, want %v", dir, tt.path, got, tt.want)
			}
		})
	}
}

func TestAllowListEntryThroughSymlink(t *testing.T) {
	dir := symlinkTree(t)
	list, err := ParseAllowList([]string{"file:" + dir + "/alias/*"})
	if err != nil {
		t.Fatalf("ParseAllowList: %v", err)
	}
	if !list.Allows("file:" + dir + "/allowed/key") {
		t.Errorf("entry %s/alias/* does not allow %s/allowed/key, the same file", dir, dir)
	}
	if list.Allows("file:" + dir + "/alias/escape") {
		t.Errorf("entry %s/alias/* allows %s/alias/escape, a link to outside/secret", dir, dir)
	}
}

func TestRestrictedResolverSymlinks(t *testing.T) {
	dir := symlinkTree(t)
	list, err := ParseAllowList([]string{"file:" + dir + "/allowed/*"})
	if err != nil {
		t.Fatal(err)
	}
	resolver := NewResolver().Restrict(list, "use a secret store reference")

	got, err := resolver.Resolve(context.Background(), "file:"+dir+"/allowed/escape")
	var notAllowed *NotAllowedError
	if !errors.As(err, &notAllowed) {
		t.Errorf("Resolve(allowed/escape) error = %v, want *NotAllowedError", err)
	}
	if got != "" {
		t.Errorf("Resolve(allowed/escape) returned a value")
	}

	got, err = resolver.Resolve(context.Background(), "file:"+dir+"/alias/key")
	if err != nil || got != "value of allowed/key" {
		t.Errorf("Resolve(alias/key) = %q, %v; want the value of allowed/key", got, err)
	}
}
