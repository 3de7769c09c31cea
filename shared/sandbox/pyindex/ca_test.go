package pyindex

import (
	"bytes"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOrCreateCAReusesStoredCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")

	first, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateCA (create): %v", err)
	}
	second, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatalf("LoadOrCreateCA (load): %v", err)
	}
	if !bytes.Equal(first.CertPEM(), second.CertPEM()) {
		t.Error("second LoadOrCreateCA returned a different certificate, want the stored one")
	}

	info, err := os.Stat(filepath.Join(dir, caKeyFile))
	if err != nil {
		t.Fatalf("stat key file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
}

func TestLoadOrCreateCARejectsHalfPair(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateCA(dir); err != nil {
		t.Fatalf("LoadOrCreateCA: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, caKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCA(dir); err == nil {
		t.Error("LoadOrCreateCA with the key missing succeeded, want an error")
	}
}

func TestIssueSetsSANsAndVerifies(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("repo.example.com", "127.0.0.1", "localhost")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}

	if diff := cmp.Diff([]string{"repo.example.com", "localhost"}, cert.Leaf.DNSNames); diff != "" {
		t.Errorf("DNS SANs (-want +got):\n%s", diff)
	}
	if len(cert.Leaf.IPAddresses) != 1 || !cert.Leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("IP SANs = %v, want [127.0.0.1]", cert.Leaf.IPAddresses)
	}

	for _, host := range []string{"repo.example.com", "127.0.0.1"} {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool()})
		if err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "other.example.com", Roots: ca.Pool()}); err == nil {
		t.Error("verify for other.example.com succeeded, want a name mismatch")
	}
}

func TestIssueWithoutHosts(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue(); err == nil {
		t.Error("Issue() succeeded, want an error")
	}
}
