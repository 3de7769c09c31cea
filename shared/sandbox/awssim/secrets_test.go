package awssim

import (
	"path/filepath"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/worldfile/worldfiletest"
)

// TestSecretValueNotSaved checks that no file of the saved world contains
// a secret's value, and that a restarted server still returns it.
func TestSecretValueNotSaved(t *testing.T) {
	dir := t.TempDir()
	const value = "Distinct-Aws-Value-51ab"
	first := startTest(t, Options{Dir: dir})
	if _, err := first.PutSecret("repo-password", value); err != nil {
		t.Fatal(err)
	}
	first.Close()

	worldfiletest.AssertNoFileContains(t, dir, value)
	second := startTest(t, Options{Dir: dir})
	assertSecretValue(t, second, "repo-password", value)
}

// TestClearSecretOfEarlierVersion loads a world that an earlier version
// saved with a secret's value in clear, and checks that Start seals it.
func TestClearSecretOfEarlierVersion(t *testing.T) {
	dir := t.TempDir()
	const value = "Earlier-Aws-Clear-77e0"
	first := startTest(t, Options{Dir: dir})
	if _, err := first.PutSecret("repo-password", "placeholder"); err != nil {
		t.Fatal(err)
	}
	first.Close()
	worldfiletest.RewriteWorld(t, filepath.Join(dir, stateFile), `"value_sealed": "[^"]*"`,
		`"value": "`+value+`"`, value, "value in clear")

	second := startTest(t, Options{Dir: dir})

	worldfiletest.AssertNoFileContains(t, dir, value)
	assertSecretValue(t, second, "repo-password", value)
}

func assertSecretValue(t *testing.T, s *Server, name, want string) {
	t.Helper()
	out, err := s.getSecretValue(s.opts.Region, map[string]any{"SecretId": name})
	if err != nil {
		t.Fatalf("GetSecretValue %s: %v", name, err)
	}
	if got := out.(map[string]any)["SecretString"]; got != want {
		t.Errorf("SecretString of %s = %q, want %q", name, got, want)
	}
}
