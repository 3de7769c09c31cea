package request

import (
	"strings"
	"testing"
)

func TestExtraPrefixRejectsNonDNSHosts(t *testing.T) {
	cases := []struct{ prefix, want string }{
		{"https://*/", "contains a wildcard"},
		{"https://*.corp.example.com/", "contains a wildcard"},
		{"https://169.254.169.254/", "is an IP address"},
		{"https://127.0.0.1/", "is an IP address"},
		{"https://[::1]/", "is an IP address"},
		{"https://files_corp.example.com/", "is not a DNS host name"},
	}
	for _, example := range []string{"public.json", "aws-privatelink.json", "egress-ip.json"} {
		for _, c := range cases {
			t.Run(example+"/"+c.prefix, func(t *testing.T) {
				doc := exampleJSON(t, example)
				edited := strings.Replace(doc, `"grant_to_roles"`, `"extra_allowed_prefixes": ["https://files.corp.example.com/", "`+c.prefix+`"], "grant_to_roles"`, 1)

				got := fieldErrors(t, edited)
				message, found := got["$.repository.extra_allowed_prefixes[1]"]
				if !found {
					t.Fatalf("errors = %v, want one for $.repository.extra_allowed_prefixes[1]", got)
				}
				if !strings.Contains(message, c.want) {
					t.Errorf("message %q does not contain %q", message, c.want)
				}
				if _, found := got["$.repository.extra_allowed_prefixes[0]"]; found {
					t.Errorf("errors = %v, want none for the DNS prefix [0]", got)
				}
			})
		}
	}
}

func TestExtraPrefixAcceptsDNSHost(t *testing.T) {
	doc := exampleJSON(t, "public.json")
	edited := strings.Replace(doc, `"grant_to_roles"`, `"extra_allowed_prefixes": ["https://files.corp.example.com/wheels/"], "grant_to_roles"`, 1)
	if got := fieldErrors(t, edited); got != nil {
		t.Errorf("errors = %v, want none", got)
	}
}
