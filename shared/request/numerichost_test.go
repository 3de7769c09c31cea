package request

import (
	"strings"
	"testing"
)

// numericHosts are IPv4 addresses in short or numeric forms that
// resolvers read as 127.0.0.1.
var numericHosts = []string{"2130706433", "0x7f000001", "127.1", "0x7f.1"}

func TestIndexURLRejectsNumericHosts(t *testing.T) {
	for _, host := range numericHosts {
		t.Run(host, func(t *testing.T) {
			doc := strings.Replace(exampleJSON(t, "public.json"),
				`"https://pypi.public.example.com/simple/"`, `"https://`+host+`/simple/"`, 1)
			message, found := fieldErrors(t, doc)["$.repository.index_url"]
			if !found {
				t.Fatalf("no error on $.repository.index_url for host %s", host)
			}
			if !strings.Contains(message, "short or numeric form") {
				t.Errorf("message %q does not name the numeric form", message)
			}
			if !strings.Contains(message, "use the index's DNS host name") {
				t.Errorf("message %q does not say what to change", message)
			}
		})
	}
}

func TestExtraPrefixRejectsNumericHosts(t *testing.T) {
	for _, host := range numericHosts {
		t.Run(host, func(t *testing.T) {
			doc := strings.Replace(exampleJSON(t, "public.json"), `"grant_to_roles"`,
				`"extra_allowed_prefixes": ["https://`+host+`/files/"], "grant_to_roles"`, 1)
			message, found := fieldErrors(t, doc)["$.repository.extra_allowed_prefixes[0]"]
			if !found {
				t.Fatalf("no error on $.repository.extra_allowed_prefixes[0] for host %s", host)
			}
			if !strings.Contains(message, "short or numeric form") {
				t.Errorf("message %q does not name the numeric form", message)
			}
		})
	}
}

// TestExtraPrefixErrorsNameProxyOnlyWithOne checks that the errors of an
// extra prefix name the proxy VM only on a route that has one, and that the
// error of a host that names this machine names preflight, which fetches
// files from it, on every route.
func TestExtraPrefixErrorsNameProxyOnlyWithOne(t *testing.T) {
	examples := []struct {
		file    string
		proxied bool
	}{
		{"public.json", false},
		{"egress-ip.json", false},
		{"aws-privatelink-no-proxy.json", false},
		{"aws-privatelink.json", true},
		{"gcp-privatelink.json", true},
	}
	for _, ex := range examples {
		for _, host := range []string{"10.0.0.5", "0x7f000001", "localhost"} {
			t.Run(ex.file+"/"+host, func(t *testing.T) {
				doc := strings.Replace(exampleJSON(t, ex.file), `"grant_to_roles"`,
					`"extra_allowed_prefixes": ["https://`+host+`/files/"], "grant_to_roles"`, 1)
				message, found := fieldErrors(t, doc)["$.repository.extra_allowed_prefixes[0]"]
				if !found {
					t.Fatalf("no error on $.repository.extra_allowed_prefixes[0] for host %s", host)
				}
				wantProxy := ex.proxied && host != "localhost"
				if named := strings.Contains(message, "proxy"); named != wantProxy {
					t.Errorf("message %q names the proxy = %v, want %v", message, named, wantProxy)
				}
				if host == "localhost" && !strings.Contains(message, "preflight fetches files") {
					t.Errorf("message %q does not name preflight", message)
				}
			})
		}
	}
}
