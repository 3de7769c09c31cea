package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// writeSecret writes value to a new file and returns its file: reference.
func writeSecret(t *testing.T, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	return "file:" + path
}

func TestResolveRejectsLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "large")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file of 300 MB: reading it whole would take that much
	// memory.
	if err := f.Truncate(300 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, err = NewResolver().Resolve(context.Background(), "file:"+path)
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve error = %v, want *InvalidValueError", err)
	}
	if invalid.Ref != "file:"+path {
		t.Errorf("Ref = %q, want file:%s", invalid.Ref, path)
	}
	if !strings.Contains(err.Error(), "65536 bytes") {
		t.Errorf("error %q does not give the limit", err)
	}
	if invalid.ErrorName() != workflow.ErrInvalidRequest {
		t.Errorf("ErrorName = %q, want %q", invalid.ErrorName(), workflow.ErrInvalidRequest)
	}
}

func TestResolveLimitsFileSize(t *testing.T) {
	resolver := NewResolver()
	largest := strings.Repeat("k", MaxSize)
	got, err := resolver.Resolve(context.Background(), writeSecret(t, largest))
	if err != nil {
		t.Fatalf("Resolve of %d bytes: %v", MaxSize, err)
	}
	if got != largest {
		t.Errorf("Resolve of %d bytes returned %d bytes", MaxSize, len(got))
	}

	_, err = resolver.Resolve(context.Background(), writeSecret(t, largest+"k"))
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve of %d bytes: error = %v, want *InvalidValueError", MaxSize+1, err)
	}
}

func TestResolveLimitsEnvSize(t *testing.T) {
	t.Setenv("REPOLINK_TEST_LARGE", strings.Repeat("k", MaxSize+1))
	_, err := NewResolver().Resolve(context.Background(), "env:REPOLINK_TEST_LARGE")
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve error = %v, want *InvalidValueError", err)
	}
	if !strings.Contains(err.Error(), "env:REPOLINK_TEST_LARGE") {
		t.Errorf("error %q does not name the reference", err)
	}
}

func TestResolveRejectsControlCharacters(t *testing.T) {
	values := map[string]string{
		"nul":          "pass\x00word",
		"trailing nul": "password\x00",
		"escape":       "pass\x1b[0mword",
		"delete":       "pass\x7fword",
		"c1 control":   "pass\u0085word",
	}
	resolver := NewResolver()
	for name, value := range values {
		ref := writeSecret(t, value)
		_, err := resolver.Resolve(context.Background(), ref)
		var invalid *InvalidValueError
		if !errors.As(err, &invalid) {
			t.Errorf("%s: Resolve error = %v, want *InvalidValueError", name, err)
			continue
		}
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("%s: error %q does not name the reference", name, err)
		}
		if strings.Contains(err.Error(), "pass") {
			t.Errorf("%s: error %q contains the value", name, err)
		}
	}
}

func TestResolveRejectsControlCharacterInEnv(t *testing.T) {
	t.Setenv("REPOLINK_TEST_CONTROL", "pass\x01word")
	_, err := NewResolver().Resolve(context.Background(), "env:REPOLINK_TEST_CONTROL")
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve error = %v, want *InvalidValueError", err)
	}
}

func TestResolveAcceptsLineBreaksAndTabs(t *testing.T) {
	values := map[string]struct{ file, want string }{
		"pem with lf":     {"-----BEGIN PRIVATE KEY-----\nMIIE\nAAAA\n-----END PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nMIIE\nAAAA\n-----END PRIVATE KEY-----"},
		"pem with crlf":   {"-----BEGIN PRIVATE KEY-----\r\nMIIE\r\n-----END PRIVATE KEY-----\r\n", "-----BEGIN PRIVATE KEY-----\r\nMIIE\r\n-----END PRIVATE KEY-----"},
		"tab inside":      {"user\tpassword\n", "user\tpassword"},
		"several newline": {"token\n\n\r\n", "token"},
	}
	resolver := NewResolver()
	for name, v := range values {
		got, err := resolver.Resolve(context.Background(), writeSecret(t, v.file))
		if err != nil {
			t.Errorf("%s: Resolve: %v", name, err)
			continue
		}
		if got != v.want {
			t.Errorf("%s: Resolve = %q, want %q", name, got, v.want)
		}
	}
}

// fixedStore is a store for a scheme other than env: and file: that returns
// value for every reference.
type fixedStore struct{ value string }

func (s fixedStore) Resolve(context.Context, string) (string, error) { return s.value, nil }

func TestResolveRejectsInvalidUTF8(t *testing.T) {
	const value = "qzx\xffqzx"
	t.Setenv("REPOLINK_TEST_INVALID_UTF8", value)
	resolver := NewResolver()
	for _, scheme := range []string{"aws-secretsmanager", "azure-keyvault", "gcp-secretmanager"} {
		resolver.Register(scheme, fixedStore{value: value})
	}
	refs := []string{
		writeSecret(t, value),
		writeSecret(t, value+"\n"),
		"env:REPOLINK_TEST_INVALID_UTF8",
		"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:index-token",
		"azure-keyvault:https://corp.vault.azure.net/secrets/index-token",
		"gcp-secretmanager:projects/corp/secrets/index-token/versions/1",
	}
	for _, ref := range refs {
		_, err := resolver.Resolve(context.Background(), ref)
		var invalid *InvalidValueError
		if !errors.As(err, &invalid) {
			t.Errorf("%s: Resolve error = %v, want *InvalidValueError", ref, err)
			continue
		}
		if !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%s: error %q does not say the value is not UTF-8", ref, err)
		}
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("%s: error %q does not name the reference", ref, err)
		}
		if strings.Contains(err.Error(), "qzx") {
			t.Errorf("%s: error %q contains the value", ref, err)
		}
		if invalid.ErrorName() != workflow.ErrInvalidRequest {
			t.Errorf("%s: ErrorName = %q, want %q", ref, invalid.ErrorName(), workflow.ErrInvalidRequest)
		}
	}
}

func TestResolveAcceptsNonASCIIUTF8(t *testing.T) {
	const value = "pässwörd-密码"
	got, err := NewResolver().Resolve(context.Background(), writeSecret(t, value))
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got != value {
		t.Errorf("Resolve = %q, want %q", got, value)
	}
}
