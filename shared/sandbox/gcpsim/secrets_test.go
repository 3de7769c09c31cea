package gcpsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/worldfile/worldfiletest"
)

const testSecret = "projects/p/secrets/index-password"

// TestSecretValueNotSaved checks that no file of the saved world contains
// a Secret Manager value, and that a restarted server still returns it.
func TestSecretValueNotSaved(t *testing.T) {
	dir := t.TempDir()
	const value = "Distinct-Gcp-Value-a41e"
	first := startInDir(t, dir)
	if err := first.PutSecret(testSecret, value); err != nil {
		t.Fatal(err)
	}
	first.Close()

	worldfiletest.AssertNoFileContains(t, dir, value)
	second := startInDir(t, dir)
	assertLatestValue(t, second, testSecret, value)
}

// TestClearSecretOfEarlierVersion loads a world that an earlier version
// saved with a Secret Manager value in clear, and checks that Start seals
// it.
func TestClearSecretOfEarlierVersion(t *testing.T) {
	dir := t.TempDir()
	const value = "Earlier-Gcp-Clear-e58d"
	first := startInDir(t, dir)
	if err := first.PutSecret(testSecret, "placeholder"); err != nil {
		t.Fatal(err)
	}
	first.Close()
	worldfiletest.RewriteWorld(t, filepath.Join(dir, stateFile), `"versions_sealed": \[[^\]]*\]`,
		`"versions": ["`+value+`"]`, value, "value in clear")

	second := startInDir(t, dir)

	worldfiletest.AssertNoFileContains(t, dir, value)
	assertLatestValue(t, second, testSecret, value)
}

func startInDir(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func assertLatestValue(t *testing.T, s *Server, name, want string) {
	t.Helper()
	resp, err := http.Get(s.URL() + "/v1/" + name + "/versions/latest:access")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Payload struct {
			Data string `json:"data"`
		} `json:"payload"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("access %s = %d", name, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(out.Payload.Data)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("value of %s = %q, want %q", name, got, want)
	}
}
