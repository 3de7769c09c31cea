package proxy

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCases are the configs rendered into testdata.
var goldenCases = []struct {
	name   string
	config Config
}{
	{"aws-hostname", Config{
		Hosts:    []string{"repo.example.com"},
		Upstream: "repo.example.com:443",
		Resolver: "169.254.169.253",
	}},
	{"ip-upstream", Config{
		Listen:         8443,
		Hosts:          []string{"pypi.corp.example", "Files.Corp.Example"},
		Upstream:       "10.0.12.7:443",
		Resolver:       "169.254.169.253",
		HealthPort:     9000,
		ConnectTimeout: 1500 * time.Millisecond,
		Timeout:        time.Hour,
	}},
	{"loopback", Config{
		Listen:          20443,
		BindAddress:     "127.0.0.1",
		Hosts:           []string{"repo.example.com"},
		Upstream:        "127.0.0.1:30443",
		HealthPort:      20080,
		RejectPort:      20444,
		WorkerProcesses: 1,
	}},
	// A CodeArtifact domain host is longer than the default nginx map
	// bucket fits.
	{"long-host", Config{
		Hosts:    []string{"corp-111122223333.d.codeartifact.us-west-2.amazonaws.com"},
		Upstream: "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com:443",
		Resolver: "169.254.169.253",
	}},
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := RenderNginx(tc.config)
			if err != nil {
				t.Fatalf("RenderNginx: %v", err)
			}
			checkGolden(t, tc.name+".nginx.conf", conf)

			script, err := UserDataAL2023(tc.config)
			if err != nil {
				t.Fatalf("UserDataAL2023: %v", err)
			}
			checkGolden(t, tc.name+".user-data.sh", script)
		})
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; run go test -update to accept):\n%s", name, diff)
	}
}

func TestRenderResolverOnlyForNames(t *testing.T) {
	tests := []struct {
		name         string
		config       Config
		wantResolver bool
	}{
		{"host name upstream", goldenCases[0].config, true},
		{"IP upstream", goldenCases[1].config, false},
	}
	for _, tt := range tests {
		conf, err := RenderNginx(tt.config)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := strings.Contains(conf, "resolver "); got != tt.wantResolver {
			t.Errorf("%s: config has resolver = %t, want %t", tt.name, got, tt.wantResolver)
		}
	}

	conf, err := RenderNginx(goldenCases[0].config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(conf, "resolver 169.254.169.253 valid=30s ipv6=off;") {
		t.Errorf("config lacks the resolver with valid=30s:\n%s", conf)
	}
	if !strings.Contains(conf, "proxy_pass $repolink_upstream;") {
		t.Errorf("config lacks the variable upstream:\n%s", conf)
	}
}

func TestRenderMapBucketSize(t *testing.T) {
	tests := []struct {
		host string
		want string
	}{
		{"repo.example.com", "map_hash_bucket_size 64;"},
		{"corp-111122223333.d.codeartifact.us-west-2.amazonaws.com", "map_hash_bucket_size 128;"},
		{strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + ".example.com", "map_hash_bucket_size 256;"},
	}
	for _, tt := range tests {
		conf, err := RenderNginx(Config{Hosts: []string{tt.host}, Upstream: "10.0.0.1:443"})
		if err != nil {
			t.Fatalf("host of %d characters: %v", len(tt.host), err)
		}
		if !strings.Contains(conf, tt.want) {
			t.Errorf("host of %d characters: config lacks %q:\n%s", len(tt.host), tt.want, conf)
		}
	}
}

func TestUserDataRoundTrip(t *testing.T) {
	for _, tc := range goldenCases {
		script, err := UserDataAL2023(tc.config)
		if err != nil {
			t.Fatalf("%s: UserDataAL2023: %v", tc.name, err)
		}
		got, err := ParseUserData(script)
		if err != nil {
			t.Fatalf("%s: ParseUserData: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.config.WithDefaults(), got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParseUserDataErrors(t *testing.T) {
	tests := map[string]string{
		"no marker":    "#!/bin/bash\necho hi\n",
		"invalid JSON": "#!/bin/bash\n# repolink-proxy-config: {\n",
		"unknown field": "# repolink-proxy-config: " +
			`{"listen":443,"hosts":["a.example"],"upstream":"10.0.0.1:443","extra":1}` + "\n",
		"invalid config": "# repolink-proxy-config: " +
			`{"listen":443,"hosts":[],"upstream":"10.0.0.1:443"}` + "\n",
	}
	for name, script := range tests {
		if _, err := ParseUserData(script); err == nil {
			t.Errorf("%s: ParseUserData succeeded, want an error", name)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	valid := Config{Hosts: []string{"repo.example.com"}, Upstream: "10.0.0.5:443"}
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"no hosts", func(c *Config) { c.Hosts = nil }},
		{"host with semicolon", func(c *Config) { c.Hosts = []string{"repo.example.com; evil"} }},
		{"host with newline", func(c *Config) { c.Hosts = []string{"repo.example.com\n"} }},
		{"wildcard host", func(c *Config) { c.Hosts = []string{"*.example.com"} }},
		{"IP as host", func(c *Config) { c.Hosts = []string{"10.0.0.5"} }},
		{"duplicate host", func(c *Config) { c.Hosts = []string{"a.example", "A.example"} }},
		{"upstream without port", func(c *Config) { c.Upstream = "10.0.0.5" }},
		{"upstream port zero", func(c *Config) { c.Upstream = "10.0.0.5:0" }},
		{"upstream with brace", func(c *Config) { c.Upstream = "repo}.example.com:443"; c.Resolver = "10.0.0.2" }},
		{"name upstream without resolver", func(c *Config) { c.Upstream = "repo.example.com:443" }},
		{"resolver not an IP", func(c *Config) { c.Upstream = "repo.example.com:443"; c.Resolver = "dns.example" }},
		{"resolver valid too long", func(c *Config) { c.ResolverValid = 2 * time.Hour }},
		{"listen out of range", func(c *Config) { c.Listen = 70000 }},
		{"listen equals health port", func(c *Config) { c.Listen = 8080 }},
		{"bind address not an IP", func(c *Config) { c.BindAddress = "localhost" }},
		{"image with quote", func(c *Config) { c.Image = "nginx'; rm -rf /" }},
	}
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		c := valid
		c.Hosts = append([]string(nil), valid.Hosts...)
		tt.change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate succeeded, want an error", tt.name)
		}
		if _, err := RenderNginx(c); err == nil {
			t.Errorf("%s: RenderNginx succeeded, want an error", tt.name)
		}
	}
}

func TestParseBuildInfo(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ngx_stream_module.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		info     string
		wantLoad string
		wantErr  bool
	}{
		{"built in",
			"nginx version: nginx/1.27.3\nconfigure arguments: --with-stream --with-stream_ssl_preread_module",
			"", false},
		{"dynamic",
			"nginx version: nginx/1.22.1\nconfigure arguments: --modules-path=" + dir +
				" --with-stream=dynamic --with-stream_ssl_preread_module",
			"load_module " + filepath.Join(dir, "ngx_stream_module.so") + ";\n", false},
		{"dynamic module file missing",
			"configure arguments: --modules-path=" + filepath.Join(dir, "none") +
				" --with-stream=dynamic --with-stream_ssl_preread_module", "", true},
		{"no stream", "configure arguments: --with-http_ssl_module", "", true},
		{"no ssl_preread", "configure arguments: --with-stream", "", true},
	}
	for _, tt := range tests {
		b, err := parseBuildInfo("/usr/sbin/nginx", tt.info)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: parseBuildInfo succeeded, want an error", tt.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: parseBuildInfo: %v", tt.name, err)
			continue
		}
		if b.LoadStream != tt.wantLoad {
			t.Errorf("%s: LoadStream = %q, want %q", tt.name, b.LoadStream, tt.wantLoad)
		}
	}
}

// TestNginxAcceptsConfig runs `nginx -t` on every golden config. It needs
// an nginx binary with the stream and ssl_preread modules.
func TestNginxAcceptsConfig(t *testing.T) {
	bin, err := LookNginx(t.Context())
	if err != nil {
		t.Skipf("skipping: no usable nginx on this machine: %v", err)
	}
	t.Logf("using %s %s", bin.Path, bin.Version)

	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := RenderNginx(tc.config)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(bin.LoadStream+conf), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), bin.Path, "-t", "-p", dir+"/", "-c", "nginx.conf", "-e", "stderr")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("nginx -t: %v\n%s", err, out)
			}
		})
	}
}

// TestUserDataIsValidBash runs `bash -n` on every boot script.
func TestUserDataIsValidBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("skipping: bash not found: %v", err)
	}
	for _, tc := range goldenCases {
		script, err := UserDataAL2023(tc.config)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(t.Context(), bash, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: bash -n: %v\n%s", tc.name, err, out)
		}
	}
}
