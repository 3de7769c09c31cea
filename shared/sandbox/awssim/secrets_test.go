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

// TestSecretARNOfOtherRegion seeds a secret whose ARN names a region
// other than the server's, and checks that seeding it again finds and
// keeps the one secret instead of creating a second one.
func TestSecretARNOfOtherRegion(t *testing.T) {
	s := startTest(t, Options{Dir: t.TempDir()})
	const id = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:repolink/index-password-eu"
	if s.HasSecret(id) {
		t.Fatalf("HasSecret(%s) before seeding = true", id)
	}

	arn, err := s.PutSecret(id, "first-value")
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasSecret(id) {
		t.Errorf("HasSecret(%s) after seeding = false", id)
	}
	if !s.HasSecret(arn) {
		t.Errorf("HasSecret(%s) of the full ARN = false", arn)
	}

	again, err := s.PutSecret(id, "second-value")
	if err != nil {
		t.Fatal(err)
	}
	if again != arn {
		t.Errorf("second PutSecret ARN = %s, want the first ARN %s", again, arn)
	}
	if n := len(s.Snapshot().Secrets); n != 1 {
		t.Errorf("world has %d secrets, want 1", n)
	}

	out, err := s.getSecretValue("eu-west-1", map[string]any{"SecretId": id})
	if err != nil {
		t.Fatalf("GetSecretValue in eu-west-1: %v", err)
	}
	if got := out.(map[string]any)["SecretString"]; got != "second-value" {
		t.Errorf("SecretString = %q, want the second value", got)
	}
	if _, err := s.getSecretValue(s.opts.Region, map[string]any{"SecretId": id}); err == nil {
		t.Errorf("GetSecretValue of an eu-west-1 secret in %s succeeded, want ResourceNotFoundException", s.opts.Region)
	}
}
