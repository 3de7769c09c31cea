package awssim

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
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

	assertNoFileContains(t, dir, value)
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
	path := filepath.Join(dir, stateFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	earlier := regexp.MustCompile(`"value_sealed": "[^"]*"`).ReplaceAll(data, []byte(`"value": "`+value+`"`))
	if !bytes.Contains(earlier, []byte(value)) {
		t.Fatal("the test did not write the value in clear")
	}
	if err := os.WriteFile(path, earlier, 0o600); err != nil {
		t.Fatal(err)
	}

	second := startTest(t, Options{Dir: dir})

	assertNoFileContains(t, dir, value)
	assertSecretValue(t, second, "repo-password", value)
}

func assertSecretValue(t *testing.T, s *Server, name, want string) {
	t.Helper()
	out, err := s.getSecretValue(map[string]any{"SecretId": name})
	if err != nil {
		t.Fatalf("GetSecretValue %s: %v", name, err)
	}
	if got := out.(map[string]any)["SecretString"]; got != want {
		t.Errorf("SecretString of %s = %q, want %q", name, got, want)
	}
}

// assertNoFileContains fails the test when a file under dir contains value.
func assertNoFileContains(t *testing.T, dir, value string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(value)) {
			t.Errorf("%s contains the secret value", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
