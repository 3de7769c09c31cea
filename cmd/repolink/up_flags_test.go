package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// parseUpFlagsError parses up's flags, which binds nothing, and returns the
// usage error that they must produce.
func parseUpFlagsError(t *testing.T, args ...string) string {
	t.Helper()
	_, err := parseUpFlags(append([]string{"--state-dir", t.TempDir()}, args...), &bytes.Buffer{})
	var usage *usageError
	if !errors.As(err, &usage) {
		t.Fatalf("parseUpFlags(%q) = %v, want a usage error", args, err)
	}
	return err.Error()
}

func TestUpRejectsSandboxHosts(t *testing.T) {
	tests := []struct {
		name  string
		hosts string
		want  []string
	}{
		{name: "empty", hosts: "", want: []string{"--sandbox-hosts is empty", "such as pypi.corp.example.com"}},
		{name: "only a comma", hosts: " , ", want: []string{"has an empty entry"}},
		{name: "space in host", hosts: "bad host,", want: []string{`--sandbox-hosts entry "bad host" is not a DNS host name`, "without a scheme, port or path"}},
		{name: "trailing comma", hosts: "pypi.corp.example.com,", want: []string{"--sandbox-hosts", "has an empty entry"}},
		{name: "URL", hosts: "https://x/", want: []string{`--sandbox-hosts entry "https://x/" is a URL`, "give only its host name, x"}},
		{name: "host and port", hosts: "pypi.corp.example.com:443", want: []string{`"pypi.corp.example.com:443" is not a DNS host name`}},
		{name: "IP address", hosts: "10.0.0.1", want: []string{`"10.0.0.1" is not a DNS host name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseUpFlagsError(t, "--sandbox", "--sandbox-hosts", tt.hosts)
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("error %q does not contain %q", got, want)
				}
			}
		})
	}
}

func TestUpAcceptsSandboxHosts(t *testing.T) {
	opts, err := parseUpFlags([]string{"--sandbox", "--state-dir", t.TempDir(), "--sandbox-hosts", " PyPI.corp.example.com, files.corp.example.com"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pypi.corp.example.com", "files.corp.example.com"}
	if strings.Join(opts.sandboxHosts, ",") != strings.Join(want, ",") {
		t.Errorf("sandbox hosts = %q, want %q", opts.sandboxHosts, want)
	}
}

func TestUpRejectsListenPort(t *testing.T) {
	tests := []struct {
		name   string
		listen string
		want   string
	}{
		{name: "leading zero", listen: "127.0.0.1:080", want: `--listen "127.0.0.1:080" has the port "080" with leading zeros; write it as 80`},
		{name: "leading zeros IPv6", listen: "[::1]:00443", want: `has the port "00443" with leading zeros; write it as 443`},
		{name: "out of range", listen: "127.0.0.1:65536", want: `has the invalid port "65536"; use a number from 1 to 65535, or 0 to let the system choose`},
		{name: "unknown service", listen: "127.0.0.1:no-such-service", want: "is not a number from 0 to 65535 or a known service name"},
		{name: "leading zero without host", listen: ":080", want: `write it as 80`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseUpFlagsError(t, "--sandbox", "--listen", tt.listen)
			if !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not contain %q", got, tt.want)
			}
		})
	}
}

// TestUpRejectsListenWithoutHost checks the rejection in parseUpFlags,
// which binds nothing, because up would listen on every interface with an
// address that passed.
func TestUpRejectsListenWithoutHost(t *testing.T) {
	tests := []struct {
		name   string
		listen string
		want   string
	}{
		{name: "no host", listen: ":8080", want: `--listen ":8080" has no host, so it would listen on every interface; write 127.0.0.1:8080, or 0.0.0.0:8080 to listen on every interface`},
		{name: "no host, port 0", listen: ":0", want: `write 127.0.0.1:0, or 0.0.0.0:0`},
		{name: "empty IPv6 host", listen: "[]:8080", want: `has no host`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseUpFlagsError(t, "--sandbox", "--listen", tt.listen)
			if !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not contain %q", got, tt.want)
			}
		})
	}
}

func TestUpAcceptsListenAddress(t *testing.T) {
	// parseUpFlags binds nothing, so the addresses of every interface are
	// safe to check here.
	for _, listen := range []string{"127.0.0.1:0", "127.0.0.1:8080", "[::1]:65535", "localhost:http", "0.0.0.0:8080", "[::]:8080"} {
		t.Run(listen, func(t *testing.T) {
			if _, err := parseUpFlags([]string{"--sandbox", "--state-dir", t.TempDir(), "--listen", listen}, &bytes.Buffer{}); err != nil {
				t.Errorf("parseUpFlags rejected --listen %s: %v", listen, err)
			}
		})
	}
}
