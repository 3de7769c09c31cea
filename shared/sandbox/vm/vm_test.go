package vm

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

const (
	repoHost     = "repo.example.com"
	testUser     = "svc@example.com"
	testPassword = "p@ss#w%rd/^:x"
)

type fixture struct {
	index    *pyindex.Index
	launcher *Launcher
	dir      string
	userData string
}

// newFixture starts a package index that covers repoHost and a launcher
// whose Resolve maps repoHost:443 to it.
func newFixture(t *testing.T, preferNginx bool) fixture {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := pyindex.Start(t.Context(), pyindex.Options{
		Hosts: []string{repoHost}, Username: testUser, Password: testPassword, CA: ca,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })

	dir := t.TempDir()
	l, err := NewLauncher(Options{
		Dir: dir,
		Resolve: func(hostport string) (string, error) {
			if hostport != repoHost+":443" {
				return "", fmt.Errorf("unknown upstream %s", hostport)
			}
			return idx.Addr(), nil
		},
		PreferNginx: preferNginx,
	})
	if err != nil {
		t.Fatalf("NewLauncher: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if left := processesUnder(t, dir); len(left) > 0 {
			t.Errorf("processes left after Close: %v", left)
		}
	})

	userData, err := proxy.UserDataAL2023(proxy.Config{
		Hosts:    []string{repoHost},
		Upstream: repoHost + ":443",
		Resolver: "169.254.169.253",
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{index: idx, launcher: l, dir: dir, userData: userData}
}

// kinds returns the launcher kinds this machine can test, skipping nginx
// with the reason when it is unavailable.
func kinds(t *testing.T) []bool {
	t.Helper()
	out := []bool{false}
	if _, err := proxy.LookNginx(t.Context()); err != nil {
		t.Logf("nginx cases skipped: %v", err)
		return out
	}
	return append(out, true)
}

func kindName(preferNginx bool) string {
	if preferNginx {
		return KindNginx
	}
	return KindGo
}

func TestLaunchPassesAllowedServerName(t *testing.T) {
	for _, preferNginx := range kinds(t) {
		t.Run(kindName(preferNginx), func(t *testing.T) {
			f := newFixture(t, preferNginx)
			if got := f.launcher.Kind(); got != kindName(preferNginx) {
				t.Fatalf("Kind() = %s, want %s", got, kindName(preferNginx))
			}

			addr, err := f.launcher.Launch(t.Context(), "i-0123456789abcdef0", f.userData)
			if err != nil {
				t.Fatalf("Launch: %v", err)
			}
			if !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("Launch address = %s, want 127.0.0.1:<port>", addr)
			}

			conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: repoHost, RootCAs: f.index.CA().Pool()})
			if err != nil {
				t.Fatalf("TLS handshake through the proxy: %v", err)
			}
			state := conn.ConnectionState()
			conn.Close()
			if err := state.PeerCertificates[0].VerifyHostname(repoHost); err != nil {
				t.Errorf("certificate through the proxy: %v", err)
			}
		})
	}
}

func TestLaunchRejectsOtherServerNames(t *testing.T) {
	for _, preferNginx := range kinds(t) {
		t.Run(kindName(preferNginx), func(t *testing.T) {
			f := newFixture(t, preferNginx)
			addr, err := f.launcher.Launch(t.Context(), "i-reject", f.userData)
			if err != nil {
				t.Fatalf("Launch: %v", err)
			}

			// An IP server name makes crypto/tls send no SNI at all.
			for _, name := range []string{"other.example.com", "127.0.0.1"} {
				conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: name, RootCAs: f.index.CA().Pool()})
				if err == nil {
					conn.Close()
					t.Errorf("TLS handshake with server name %q succeeded, want the proxy to close it", name)
				}
			}

			if preferNginx {
				if err := f.launcher.Stop("i-reject"); err != nil {
					t.Fatal(err)
				}
				log, err := os.ReadFile(filepath.Join(f.dir, "i-reject", "access.log"))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(log), `sni="other.example.com" allowed=0`) {
					t.Errorf("access log lacks the rejected server name:\n%s", log)
				}
			}
		})
	}
}

func TestInstallThroughProxy(t *testing.T) {
	for _, preferNginx := range kinds(t) {
		t.Run(kindName(preferNginx), func(t *testing.T) {
			f := newFixture(t, preferNginx)
			addr, err := f.launcher.Launch(t.Context(), "i-install", f.userData)
			if err != nil {
				t.Fatalf("Launch: %v", err)
			}

			// Every connection goes to the proxy, and TLS uses the
			// repository host from the URL as server name.
			transport := &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: f.index.CA().Pool()},
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				},
			}
			t.Cleanup(transport.CloseIdleConnections)
			client := &repoindex.Client{
				HTTP:     &http.Client{Transport: transport},
				IndexURL: "https://" + repoHost + "/simple/",
				Username: testUser,
				Password: testPassword,
			}

			got, err := client.Install(t.Context(), []string{"requests==2.32.3", "cloudpickle"})
			if err != nil {
				t.Fatalf("Install through the proxy: %v", err)
			}
			var names []string
			for _, inst := range got {
				names = append(names, inst.Name+"=="+inst.Version)
			}
			if diff := cmp.Diff([]string{"requests==2.32.3", "cloudpickle==3.0.0"}, names); diff != "" {
				t.Errorf("installed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthEndpoints(t *testing.T) {
	for _, preferNginx := range kinds(t) {
		t.Run(kindName(preferNginx), func(t *testing.T) {
			f := newFixture(t, preferNginx)
			if _, err := f.launcher.Launch(t.Context(), "i-health", f.userData); err != nil {
				t.Fatalf("Launch: %v", err)
			}
			inst, ok := f.launcher.Instance("i-health")
			if !ok {
				t.Fatal("Instance(i-health) not found after Launch")
			}

			if got := httpStatus(t, "http://"+inst.HealthAddr+"/"); got != http.StatusOK {
				t.Errorf("GET / = %d, want 200", got)
			}
			// nginx passes the index's 401 through, and the Go passthrough
			// only connects, so either status means the index responded.
			got := httpStatus(t, "http://"+inst.HealthAddr+"/upstream")
			if got == http.StatusBadGateway || got == http.StatusGatewayTimeout {
				t.Errorf("GET /upstream = %d, want the index reachable", got)
			}

			f.index.Close()
			got = httpStatus(t, "http://"+inst.HealthAddr+"/upstream")
			if got != http.StatusBadGateway {
				t.Errorf("GET /upstream with the index stopped = %d, want 502", got)
			}
		})
	}
}

func TestLaunchIsIdempotent(t *testing.T) {
	for _, preferNginx := range kinds(t) {
		t.Run(kindName(preferNginx), func(t *testing.T) {
			f := newFixture(t, preferNginx)
			first, err := f.launcher.Launch(t.Context(), "i-same", f.userData)
			if err != nil {
				t.Fatal(err)
			}
			second, err := f.launcher.Launch(t.Context(), "i-same", f.userData)
			if err != nil {
				t.Fatal(err)
			}
			if first != second {
				t.Errorf("second Launch = %s, want %s", second, first)
			}
			if preferNginx && len(processesUnder(t, f.dir)) == 0 {
				t.Error("no nginx process runs under the instance directory after Launch")
			}

			if err := f.launcher.Stop("i-same"); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if conn, err := net.Dial("tcp", first); err == nil {
				conn.Close()
				t.Errorf("%s accepts connections after Stop", first)
			}
			if left := processesUnder(t, f.dir); len(left) > 0 {
				t.Errorf("processes left after Stop: %v", left)
			}
			if err := f.launcher.Stop("i-same"); err != nil {
				t.Errorf("second Stop: %v", err)
			}
		})
	}
}

func TestLaunchRejectsInvalidInput(t *testing.T) {
	f := newFixture(t, false)
	other, err := proxy.UserDataAL2023(proxy.Config{Hosts: []string{repoHost}, Upstream: "10.0.0.9:443"})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"not a boot script":   "#!/bin/bash\necho hello\n",
		"unresolved upstream": other,
	}
	for name, userData := range tests {
		if _, err := f.launcher.Launch(t.Context(), "i-"+strings.ReplaceAll(name, " ", "-"), userData); err == nil {
			t.Errorf("%s: Launch succeeded, want an error", name)
		}
	}
}

// processesUnder returns the command lines of running processes that
// mention dir, read from /proc. It returns nil where /proc is absent.
func processesUnder(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.Contains(line, dir) {
			out = append(out, e.Name()+": "+line)
		}
	}
	return out
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
