package secrets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveRejectsBlankValues(t *testing.T) {
	dir := t.TempDir()
	values := map[string]string{
		"empty":      "",
		"newline":    "\n",
		"spaces":     "   \n",
		"whitespace": " \t\r\n\t ",
	}
	resolver := NewResolver()
	for name, value := range values {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"file:" + path, "env:REPOLINK_TEST_BLANK_" + strings.ToUpper(name)} {
			if strings.HasPrefix(ref, "env:") {
				t.Setenv(strings.TrimPrefix(ref, "env:"), value)
			}
			got, err := resolver.Resolve(context.Background(), ref)
			if err == nil {
				t.Errorf("%s: Resolve returned %q, want an error", ref, got)
				continue
			}
			if !strings.Contains(err.Error(), ref) {
				t.Errorf("%s: error %q does not name the reference", ref, err)
			}
			if !strings.Contains(err.Error(), "empty or only whitespace") {
				t.Errorf("%s: error %q does not say the value is blank", ref, err)
			}
		}
	}
}

func TestResolveKeepsInnerWhitespace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(" token with spaces \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := NewResolver().Resolve(context.Background(), "file:"+path)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got != " token with spaces " {
		t.Errorf("Resolve = %q, want the file without its line ending", got)
	}
}
