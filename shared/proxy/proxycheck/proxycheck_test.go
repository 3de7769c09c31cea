package proxycheck

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/repolink/repolink/shared/proxy"
)

// lookNginx returns the local nginx or skips the test with the reason.
func lookNginx(t *testing.T) proxy.Binary {
	t.Helper()
	bin, err := proxy.LookNginx(t.Context())
	if err != nil {
		t.Skipf("skipping: no nginx with the stream and ssl_preread modules on this machine: %v", err)
	}
	return bin
}

func failedSteps(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.Err != nil {
			out = append(out, r.Step)
		}
	}
	return out
}

// TestTargetsPassAndReject runs every shipped target without the pip step:
// nginx -t, the Go download through the proxy, and the rejection of other
// server names.
func TestTargetsPassAndReject(t *testing.T) {
	bin := lookNginx(t)
	for _, target := range Targets {
		t.Run(target.Name, func(t *testing.T) {
			results := Check(t.Context(), target, Options{Nginx: bin, Dir: t.TempDir()})
			for _, r := range results {
				if r.Err != nil {
					t.Errorf("step %q failed: %v", r.Step, r.Err)
				}
			}
			var steps []string
			for _, r := range results {
				steps = append(steps, r.Step)
			}
			for _, want := range []string{"nginx -t", "go download", "tls " + rejectedName + " rejected", "tls without SNI rejected", "access log"} {
				if !slices.Contains(steps, want) {
					t.Errorf("step %q did not run; steps: %v", want, steps)
				}
			}
		})
	}
}

// TestCheckFailsBrokenConfigs makes sure the check can fail: an invalid
// file stops at nginx -t, and a proxy that passes every server name fails
// the rejection and access log steps.
func TestCheckFailsBrokenConfigs(t *testing.T) {
	bin := lookNginx(t)
	tests := []struct {
		name   string
		render func(proxy.Config) (string, error)
		want   []string
	}{
		{
			name:   "syntax error",
			render: func(proxy.Config) (string, error) { return "events {}\nstream { server { listen; } }\n", nil },
			want:   []string{"nginx -t"},
		},
		{
			name:   "open proxy",
			render: openProxyConf,
			want:   []string{"tls " + rejectedName + " rejected", "tls without SNI rejected", "access log"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := Target{Name: strings.ReplaceAll(tt.name, " ", "-"), NginxConf: tt.render}
			results := Check(t.Context(), target, Options{Nginx: bin, Dir: t.TempDir()})
			if diff := cmp.Diff(tt.want, failedSteps(results)); diff != "" {
				t.Errorf("failed steps (-want +got):\n%s", diff)
			}
		})
	}
}

// openProxyConf passes every connection to the upstream, whatever its
// server name.
func openProxyConf(c proxy.Config) (string, error) {
	return fmt.Sprintf(`pid nginx.pid;
error_log stderr warn;
events {}
stream {
    server {
        listen 127.0.0.1:%d;
        proxy_pass %s;
    }
}
http {
    access_log off;
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;
    server {
        listen 127.0.0.1:%d;
        location / { return 200 "ok\n"; }
    }
}
`, c.Listen, c.Upstream, c.HealthPort), nil
}

func TestNginxConfFromAL2023MatchesRender(t *testing.T) {
	configs := []proxy.Config{
		{Hosts: []string{"repo.example.com"}, Upstream: "repo.example.com:443", Resolver: "169.254.169.253"},
		{Hosts: []string{"a.example.com", "b.example.com"}, Upstream: "10.0.0.7:443", BindAddress: "127.0.0.1"},
	}
	for _, c := range configs {
		want, err := proxy.RenderNginx(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := nginxConfFromAL2023(c)
		if err != nil {
			t.Fatalf("nginxConfFromAL2023: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("boot script config differs from RenderNginx (-want +got):\n%s", diff)
		}
	}
}

func TestDNSServerAnswers(t *testing.T) {
	dns, err := startDNS(map[string]string{"pypi.example.test": "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()

	tests := []struct {
		name    string
		qtype   dnsmessage.Type
		rcode   dnsmessage.RCode
		answers int
	}{
		{"PYPI.example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, 1},
		{"pypi.example.test.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, 0},
		{"other.example.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, 0},
	}
	for _, tt := range tests {
		msg := query(t, dns.Addr(), tt.name, tt.qtype)
		if msg.RCode != tt.rcode {
			t.Errorf("%s %v: rcode = %v, want %v", tt.name, tt.qtype, msg.RCode, tt.rcode)
		}
		if len(msg.Answers) != tt.answers {
			t.Errorf("%s %v: %d answers, want %d", tt.name, tt.qtype, len(msg.Answers), tt.answers)
		}
	}
	if got := dns.Queries(); got != int64(len(tests)) {
		t.Errorf("Queries() = %d, want %d", got, len(tests))
	}
}

func query(t *testing.T, addr, name string, qtype dnsmessage.Type) dnsmessage.Message {
	t.Helper()
	q := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 7, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET}},
	}
	packed, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(packed); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read dns reply: %v", err)
	}
	var reply dnsmessage.Message
	if err := reply.Unpack(buf[:n]); err != nil {
		t.Fatalf("unpack dns reply: %v", err)
	}
	if reply.ID != 7 {
		t.Errorf("reply ID = %d, want 7", reply.ID)
	}
	return reply
}

func TestCleanEnvDropsIndexSettings(t *testing.T) {
	in := []string{
		"PATH=/usr/bin", "PIP_INDEX_URL=https://pypi.org/simple/", "pip_extra_index_url=x",
		"HTTPS_PROXY=http://proxy:3128", "no_proxy=localhost", "NETRC=/home/u/.netrc",
		"REQUESTS_CA_BUNDLE=/etc/ca.pem", "LANG=C.UTF-8",
	}
	want := []string{"PATH=/usr/bin", "LANG=C.UTF-8"}
	if diff := cmp.Diff(want, cleanEnv(in)); diff != "" {
		t.Errorf("cleanEnv (-want +got):\n%s", diff)
	}
}

func TestCheckAccessLog(t *testing.T) {
	full := `127.0.0.1 [x] sni="localhost" allowed=1 upstream="127.0.0.1:1"
127.0.0.1 [x] sni="` + rejectedName + `" allowed=0 upstream="127.0.0.1:2"
127.0.0.1 [x] sni="" allowed=0 upstream="127.0.0.1:2"
`
	tests := map[string]struct {
		log     string
		wantErr bool
	}{
		"all verdicts":    {full, false},
		"no rejected SNI": {strings.Replace(full, rejectedName, "localhost", 1), true},
		"empty":           {"", true},
	}
	for name, tt := range tests {
		path := filepath.Join(t.TempDir(), "access.log")
		if err := os.WriteFile(path, []byte(tt.log), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := checkAccessLog(path); (err != nil) != tt.wantErr {
			t.Errorf("%s: checkAccessLog error = %v, want error %t", name, err, tt.wantErr)
		}
	}
}
