package azuresim

import (
	"bytes"
	"context"
	"crypto/tls"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
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

	assertNoFileContains(t, dir, value)
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

	second := startInDir(t, dir, ca)

	assertNoFileContains(t, dir, value)
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
