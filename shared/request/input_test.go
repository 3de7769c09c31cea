package request

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// exampleJSON returns an example request file of the repository.
func exampleJSON(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fieldErrors parses doc and returns its field errors by path.
func fieldErrors(t *testing.T, doc string) map[string]string {
	t.Helper()
	_, err := Parse([]byte(doc))
	if err == nil {
		return nil
	}
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("Parse error = %v, want *ValidationError", err)
	}
	got := map[string]string{}
	for _, f := range invalid.Fields {
		got[f.Path] = f.Message
	}
	return got
}

func withPackages(t *testing.T, packages string) string {
	t.Helper()
	doc := exampleJSON(t, "aws-privatelink.json")
	const examplePackages = `"packages": ["requests", "corp-utils==2.3.1"]`
	if !strings.Contains(doc, examplePackages) {
		t.Fatalf("example request has no %s", examplePackages)
	}
	return strings.Replace(doc, examplePackages, `"packages": `+packages, 1)
}

func TestParsePackagesRejected(t *testing.T) {
	tests := []struct {
		name     string
		packages string
		path     string
		message  []string
	}{
		{
			name:     "same project twice",
			packages: `["requests==2.31.0", "requests==2.32.3"]`,
			path:     "$.repository.packages[1]",
			message:  []string{"$.repository.packages[0]", `"requests==2.31.0"`, "list each project once"},
		},
		{
			name:     "same project after normalization",
			packages: `["corp-utils==2.3.1", "requests", "Corp__Utils>=2"]`,
			path:     "$.repository.packages[2]",
			message:  []string{"$.repository.packages[0]", "corp-utils"},
		},
		{
			name:     "comma after the project name",
			packages: `["requests,>=2.31"]`,
			path:     "$.repository.packages[0]",
			message:  []string{"comma right after the project name requests", "such as requests>=2.31"},
		},
		{
			name:     "no project name",
			packages: `["requests", ">=2.31"]`,
			path:     "$.repository.packages[1]",
			message:  []string{"has no project name"},
		},
		{
			name:     "compatible release with one number",
			packages: `["requests~=2"]`,
			path:     "$.repository.packages[0]",
			message:  []string{"~= needs at least two release numbers", "such as requests~=2.31"},
		},
		{
			name:     "invalid project name",
			packages: `["-requests"]`,
			path:     "$.repository.packages[0]",
			message:  []string{"does not start with a project name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fieldErrors(t, withPackages(t, tt.packages))
			message, ok := got[tt.path]
			if !ok {
				t.Fatalf("errors %v have none at %s", got, tt.path)
			}
			if len(got) != 1 {
				t.Errorf("errors = %v, want only %s", got, tt.path)
			}
			for _, part := range tt.message {
				if !strings.Contains(message, part) {
					t.Errorf("message %q does not contain %q", message, part)
				}
			}
		})
	}
}

func TestParsePackagesAccepted(t *testing.T) {
	for _, packages := range []string{
		`["requests>=2.31,<3", "corp-utils==2.3.1"]`,
		`["requests >= 2.31 , < 3"]`,
		`["zope.interface", "zope-event"]`,
		`["requests~=2.31", "corp-utils!=2.3.*", "pkg===1.0-custom"]`,
	} {
		if got := fieldErrors(t, withPackages(t, packages)); got != nil {
			t.Errorf("packages %s: errors %v", packages, got)
		}
	}
}

func TestParseTargetAddress(t *testing.T) {
	examples := map[string]string{
		"aws":   "aws-privatelink-no-proxy.json",
		"azure": "azure-privatelink-no-proxy.json",
		"gcp":   "gcp-privatelink-no-proxy.json",
	}
	tests := []struct {
		address string
		message string // "" when the address is accepted
		// awsMessage replaces message on AWS, whose load balancers
		// refuse public targets that Azure and Google Cloud networks
		// may use privately.
		awsMessage string
	}{
		{"10.0.1.25", "", ""},
		{"172.31.255.254", "", ""},
		{"192.168.4.9", "", ""},
		{"100.64.0.10", "", ""},
		{"8.8.8.8", "", "is a public address"},
		{"172.32.0.1", "", "is a public address"},
		{"169.254.169.254", "is a link-local address", "is a link-local address"},
		{"127.0.0.1", "is a loopback address", "is a loopback address"},
		{"0.0.0.0", "is the unspecified address", "is the unspecified address"},
		{"255.255.255.255", "is the broadcast address", "is the broadcast address"},
		{"224.0.0.251", "is a multicast address", "is a multicast address"},
		{"fd00::1", "missing or invalid", "missing or invalid"},
		{"::ffff:10.0.1.25", "missing or invalid", "missing or invalid"},
		{"10.0.1", "missing or invalid", "missing or invalid"},
	}
	for cloud, example := range examples {
		doc := exampleJSON(t, example)
		start := strings.Index(doc, `"target_address": "`)
		if start < 0 {
			t.Fatalf("%s has no target_address", example)
		}
		start += len(`"target_address": "`)
		end := start + strings.IndexByte(doc[start:], '"')
		for _, tt := range tests {
			got := fieldErrors(t, doc[:start]+tt.address+doc[end:])
			path := "$." + cloud + ".target_address"
			message := tt.message
			if cloud == "aws" {
				message = tt.awsMessage
			}
			if message == "" {
				if got != nil {
					t.Errorf("%s %s: errors %v", cloud, tt.address, got)
				}
				continue
			}
			if !strings.Contains(got[path], message) {
				t.Errorf("%s %s: message at %s = %q, want it to contain %q", cloud, tt.address, path, got[path], message)
			}
			if !strings.Contains(got[path], "private IPv4 address") {
				t.Errorf("%s %s: message %q does not say what to set", cloud, tt.address, got[path])
			}
		}
	}
}

func TestParseUpstreamHost(t *testing.T) {
	doc := exampleJSON(t, "aws-privatelink.json")
	const upstream = `"upstream": "pypi.corp.example.com:443"`
	if !strings.Contains(doc, upstream) {
		t.Fatalf("example request has no %s", upstream)
	}
	tests := []struct {
		upstream string
		message  string
	}{
		{"10.0.12.7:443", ""},
		{"203.0.113.7:443", ""},
		{"169.254.169.254:80", "is a link-local address"},
		{"127.0.0.1:443", "is a loopback address"},
		{"[::1]:443", "is a loopback address"},
		{"0.0.0.0:443", "is the unspecified address"},
		{"localhost:443", "names localhost"},
		{"index.localhost:443", "names localhost"},
		{"Repo.LocalHost:443", "names localhost"},
		{"2130706433:443", "short or numeric form"},
		{"0:443", "short or numeric form"},
		{"127.1:443", "short or numeric form"},
		{"0x7f.0x1:443", "short or numeric form"},
		{"nexus.corp.example.com:8443", ""},
		{"repo-01.corp.example.com:443", ""},
		{"cafe.example.com:443", ""},
	}
	for _, tt := range tests {
		got := fieldErrors(t, strings.Replace(doc, upstream, `"upstream": "`+tt.upstream+`"`, 1))
		if tt.message == "" {
			if got != nil {
				t.Errorf("%s: errors %v", tt.upstream, got)
			}
			continue
		}
		if !strings.Contains(got["$.aws.upstream"], tt.message) {
			t.Errorf("%s: message = %q, want it to contain %q", tt.upstream, got["$.aws.upstream"], tt.message)
		}
	}
}

func TestParsePSCSubnetCIDR(t *testing.T) {
	doc := exampleJSON(t, "gcp-privatelink-no-proxy.json")
	const cidr = `"psc_subnet_cidr": "192.168.254.0/28"`
	if !strings.Contains(doc, cidr) {
		t.Fatalf("example request has no %s", cidr)
	}
	tests := []struct {
		cidr    string
		message string
	}{
		{"192.168.254.0/28", ""},
		{"10.128.0.0/29", ""},
		{"192.168.255.5/28", "has host bits set; use the network address of the block, 192.168.255.0/28"},
		{"8.8.8.0/28", ""},    // a public range used privately
		{"198.18.0.0/24", ""}, // a reserved range that Google Cloud subnets accept
		{"192.0.0.0/2", "overlaps 224.0.0.0/4, which holds a multicast address"},
		{"169.254.0.0/28", "link-local"},
		{"126.0.0.0/7", "overlaps 127.0.0.0/8, which holds a loopback address"},
		{"fd00::/64", "must be an IPv4 CIDR block"},
		{"192.168.254.0", "must be an IPv4 CIDR block"},
	}
	for _, tt := range tests {
		got := fieldErrors(t, strings.Replace(doc, cidr, `"psc_subnet_cidr": "`+tt.cidr+`"`, 1))
		if tt.message == "" {
			if got != nil {
				t.Errorf("%s: errors %v", tt.cidr, got)
			}
			continue
		}
		if !strings.Contains(got["$.gcp.psc_subnet_cidr"], tt.message) {
			t.Errorf("%s: message = %q, want it to contain %q", tt.cidr, got["$.gcp.psc_subnet_cidr"], tt.message)
		}
	}
}

func TestParseEgressPort(t *testing.T) {
	doc := exampleJSON(t, "egress-ip.json")
	const port = `"port": 443`
	if !strings.Contains(doc, port) {
		t.Fatalf("example request has no %s", port)
	}

	got := fieldErrors(t, strings.Replace(doc, port, `"port": 0`, 1))
	if !strings.Contains(got["$.egress.port"], "is 0; set the port of $.repository.index_url") {
		t.Errorf("port 0: errors = %v, want one at $.egress.port", got)
	}
	got = fieldErrors(t, strings.Replace(doc, port, `"port": -5`, 1))
	if !strings.Contains(got["$.egress.port"], "must be from 1 to 65535") {
		t.Errorf("port -5: errors = %v, want one at $.egress.port", got)
	}

	absent := strings.Replace(doc, ",\n    "+port, "", 1)
	if absent == doc {
		t.Fatal("could not remove the port from the example")
	}
	req, err := Parse([]byte(absent))
	if err != nil {
		t.Fatalf("absent port: %v", err)
	}
	if req.Egress.Port != DefaultEgressPort {
		t.Errorf("absent port = %d, want %d", req.Egress.Port, DefaultEgressPort)
	}
}
