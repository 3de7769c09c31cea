package azuresim

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/sandbox/worldfile/worldfiletest"
)

// TestVaultValueNotSaved checks that no file of the saved world contains a
// Key Vault secret's value, and that a restarted server still returns it.
func TestVaultValueNotSaved(t *testing.T) {
	dir, ca := t.TempDir(), testCA(t)
	const value = "Distinct-Vault-Value-3d9f"
	first := startInDir(t, dir, ca)
	if err := first.PutSecret("kv", "index-password", value); err != nil {
		t.Fatal(err)
	}
	first.Close()

	worldfiletest.AssertNoFileContains(t, dir, value)
	second := startInDir(t, dir, ca)
	assertVaultValue(t, second, ca, "kv", "index-password", value)
}

// TestVaultClearValueOfEarlierVersion loads a world that an earlier version
// saved with a Key Vault secret's value in clear, and checks that Start
// seals it.
func TestVaultClearValueOfEarlierVersion(t *testing.T) {
	dir, ca := t.TempDir(), testCA(t)
	const value = "Earlier-Vault-Clear-0b2c"
	first := startInDir(t, dir, ca)
	if err := first.PutSecret("kv", "index-password", "placeholder"); err != nil {
		t.Fatal(err)
	}
	first.Close()
	worldfiletest.RewriteWorld(t, filepath.Join(dir, stateFile), `"value_sealed": "[^"]*"`,
		`"value": "`+value+`"`, value, "value in clear")

	second := startInDir(t, dir, ca)

	worldfiletest.AssertNoFileContains(t, dir, value)
	assertVaultValue(t, second, ca, "kv", "index-password", value)
}

func testCA(t *testing.T) *pyindex.CA {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func startInDir(t *testing.T, dir string, ca *pyindex.CA) *Server {
	t.Helper()
	s, err := Start(context.Background(), Options{Dir: dir, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func assertVaultValue(t *testing.T, s *Server, ca *pyindex.CA, vault, name, want string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	status, out, _ := call(t, client, http.MethodGet, s.VaultURL(vault)+"/secrets/"+name+"?api-version=7.4", "token", "")
	if status != http.StatusOK {
		t.Fatalf("GET secret %s/%s = %d %v", vault, name, status, out)
	}
	if got := out["value"]; got != want {
		t.Errorf("value of %s/%s = %q, want %q", vault, name, got, want)
	}
}
