package request

import (
	"strings"
	"testing"
)

func TestIndexURLRejectsMachineHosts(t *testing.T) {
	for _, host := range []string{
		"localhost:6379", "pypi.localhost", "metadata.google.internal",
		"metadata.google.internal:8443", "instance-data.ec2.internal", "kubernetes.default.svc:443",
	} {
		t.Run(host, func(t *testing.T) {
			doc := strings.Replace(exampleJSON(t, "public.json"),
				`"https://pypi.public.example.com/simple/"`, `"https://`+host+`/simple/"`, 1)
			message, found := fieldErrors(t, doc)["$.repository.index_url"]
			if !found {
				t.Fatalf("no error on $.repository.index_url for host %s", host)
			}
			if !strings.Contains(message, "private address") {
				t.Errorf("message %q does not say that private addresses are accepted", message)
			}
		})
	}
}

func TestExtraPrefixRejectsMachineHosts(t *testing.T) {
	for _, host := range []string{"localhost", "metadata.google.internal", "instance-data", "kubernetes.default.svc"} {
		t.Run(host, func(t *testing.T) {
			doc := strings.Replace(exampleJSON(t, "public.json"), `"grant_to_roles"`,
				`"extra_allowed_prefixes": ["https://`+host+`:8443/"], "grant_to_roles"`, 1)
			message, found := fieldErrors(t, doc)["$.repository.extra_allowed_prefixes[0]"]
			if !found {
				t.Fatalf("no error on $.repository.extra_allowed_prefixes[0] for host %s", host)
			}
			if !strings.Contains(message, host) {
				t.Errorf("message %q does not name the host %s", message, host)
			}
		})
	}
}

func TestUpstreamRejectsMachineHosts(t *testing.T) {
	upstreams := []string{
		"localhost:443", "instance-data.ec2.internal:80", "metadata.google.internal:80",
		"metadata.goog:80", "kubernetes.default.svc:443", "169.254.169.254:80",
		"[fd00:ec2::254]:80", "[::1]:443", "[::ffff:127.0.0.1]:443", "[64:ff9b::a9fe:a9fe]:80",
		"[64:ff9b:1::a9fe:a9fe]:443",
	}
	examples := []struct{ file, cloud string }{
		{"aws-privatelink.json", "aws"},
		{"azure-privatelink.json", "azure"},
		{"gcp-privatelink.json", "gcp"},
	}
	for _, ex := range examples {
		for _, upstream := range upstreams {
			t.Run(ex.cloud+"/"+upstream, func(t *testing.T) {
				doc := strings.Replace(exampleJSON(t, ex.file),
					`"upstream": "pypi.corp.example.com:443"`, `"upstream": "`+upstream+`"`, 1)
				path := "$." + ex.cloud + ".upstream"
				message, found := fieldErrors(t, doc)[path]
				if !found {
					t.Fatalf("no error on %s for %s", path, upstream)
				}
				if !strings.Contains(message, "private address") {
					t.Errorf("message %q does not say that private addresses are accepted", message)
				}
			})
		}
	}
}

func TestUpstreamAcceptsPrivateAddresses(t *testing.T) {
	for _, upstream := range []string{"10.0.1.25:443", "172.16.4.4:8443", "192.168.1.10:443", "[fd12:3456::1]:443"} {
		t.Run(upstream, func(t *testing.T) {
			doc := strings.Replace(exampleJSON(t, "aws-privatelink.json"),
				`"upstream": "pypi.corp.example.com:443"`, `"upstream": "`+upstream+`"`, 1)
			if message, found := fieldErrors(t, doc)["$.aws.upstream"]; found {
				t.Errorf("error on $.aws.upstream = %q, want none", message)
			}
		})
	}
}
