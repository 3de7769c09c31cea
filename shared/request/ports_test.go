package request

import (
	"strings"
	"testing"
)

// privateLinkExamples are the example requests of the private-link routes.
var privateLinkExamples = []string{"aws-privatelink.json", "azure-privatelink.json", "gcp-privatelink.json", "aws-privatelink-no-proxy.json"}

func TestPrivateLinkRejectsIndexPort(t *testing.T) {
	for _, example := range privateLinkExamples {
		for _, port := range []string{"8443", "80", "1", "65535"} {
			t.Run(example+"/"+port, func(t *testing.T) {
				doc := exampleJSON(t, example)
				index := requestIndexURL(t, doc)
				edited := strings.Replace(doc, index, strings.Replace(index, ".com/", ".com:"+port+"/", 1), 1)

				got := fieldErrors(t, edited)
				message := got["$.repository.index_url"]
				if !strings.Contains(message, "uses port "+port) {
					t.Errorf("message %q does not name port %s", message, port)
				}
				if !strings.Contains(message, "for port 443 only") {
					t.Errorf("message %q does not give the reason", message)
				}
				if len(got) != 1 {
					t.Errorf("errors = %v, want only $.repository.index_url", got)
				}
			})
		}
	}
}

func TestPrivateLinkAcceptsPort443(t *testing.T) {
	for _, example := range privateLinkExamples {
		doc := exampleJSON(t, example)
		index := requestIndexURL(t, doc)
		edited := strings.Replace(doc, index, strings.Replace(index, ".com/", ".com:443/", 1), 1)
		edited = strings.Replace(edited, `"grant_to_roles"`, `"extra_allowed_prefixes": ["https://files.corp.example.com:443/"], "grant_to_roles"`, 1)
		if got := fieldErrors(t, edited); got != nil {
			t.Errorf("%s: errors = %v, want none", example, got)
		}
	}
}

func TestPrivateLinkRejectsExtraPrefixPort(t *testing.T) {
	doc := exampleJSON(t, "aws-privatelink.json")
	edited := strings.Replace(doc, `"grant_to_roles"`,
		`"extra_allowed_prefixes": ["https://files.corp.example.com/", "https://cdn.corp.example.com:8443/"], "grant_to_roles"`, 1)

	got := fieldErrors(t, edited)
	if message := got["$.repository.extra_allowed_prefixes[1]"]; !strings.Contains(message, "uses port 8443") {
		t.Errorf("extra_allowed_prefixes[1]: message %q does not name port 8443", message)
	}
	if len(got) != 1 {
		t.Errorf("errors = %v, want only $.repository.extra_allowed_prefixes[1]", got)
	}
}

func TestOtherRoutesAcceptIndexPort(t *testing.T) {
	doc := exampleJSON(t, "public.json")
	index := requestIndexURL(t, doc)
	for _, port := range []string{"1", "8443", "65535"} {
		edited := strings.Replace(doc, index, strings.Replace(index, ".com/", ".com:"+port+"/", 1), 1)
		edited = strings.Replace(edited, `"grant_to_roles"`, `"extra_allowed_prefixes": ["https://cdn.corp.example.com:8443/"], "grant_to_roles"`, 1)
		if got := fieldErrors(t, edited); got != nil {
			t.Errorf("public route, port %s: errors = %v, want none", port, got)
		}
	}
}

func TestRejectsPortWithLeadingZeros(t *testing.T) {
	tests := []struct {
		example string
		old     string
		new     string
		path    string
	}{
		{"aws-privatelink.json", "example.com/simple/", "example.com:00443/simple/", "$.repository.index_url"},
		{"public.json", "example.com/simple/", "example.com:08443/simple/", "$.repository.index_url"},
		{"public.json", `"grant_to_roles"`, `"extra_allowed_prefixes": ["https://cdn.corp.example.com:0443/"], "grant_to_roles"`, "$.repository.extra_allowed_prefixes[0]"},
		{"aws-privatelink.json", `example.com:443"`, `example.com:0443"`, "$.aws.upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.example+" "+tt.path, func(t *testing.T) {
			doc := exampleJSON(t, tt.example)
			edited := strings.Replace(doc, tt.old, tt.new, 1)
			if edited == doc {
				t.Fatalf("%s does not contain %s", tt.example, tt.old)
			}

			got := fieldErrors(t, edited)
			if message := got[tt.path]; !strings.Contains(message, "with leading zeros; write it as") {
				t.Errorf("message %q does not reject the leading zeros", message)
			}
			if len(got) != 1 {
				t.Errorf("errors = %v, want only %s", got, tt.path)
			}
		})
	}
}

func TestRejectsInvalidExtraPrefixPort(t *testing.T) {
	doc := exampleJSON(t, "public.json")
	edited := strings.Replace(doc, `"grant_to_roles"`, `"extra_allowed_prefixes": ["https://cdn.corp.example.com:99999/"], "grant_to_roles"`, 1)
	got := fieldErrors(t, edited)
	if message := got["$.repository.extra_allowed_prefixes[0]"]; !strings.Contains(message, `invalid port "99999"`) {
		t.Errorf("message %q does not reject port 99999", message)
	}
}

func TestEgressPortMustMatchIndexPort(t *testing.T) {
	doc := exampleJSON(t, "egress-ip.json")
	index := requestIndexURL(t, doc)
	withPort := strings.Replace(doc, index, strings.Replace(index, ".com/", ".com:8443/", 1), 1)

	got := fieldErrors(t, withPort)
	message := got["$.egress.port"]
	if !strings.Contains(message, "is 443, but $.repository.index_url uses port 8443") {
		t.Errorf("message %q does not name both ports", message)
	}
	if !strings.Contains(message, "set $.egress.port to 8443 or remove it") {
		t.Errorf("message %q does not say what to write", message)
	}
	if len(got) != 1 {
		t.Errorf("errors = %v, want only $.egress.port", got)
	}

	matching := strings.Replace(withPort, `"port": 443`, `"port": 8443`, 1)
	if got := fieldErrors(t, matching); got != nil {
		t.Errorf("egress.port 8443 with index port 8443: errors = %v, want none", got)
	}

	explicit443 := strings.Replace(doc, index, strings.Replace(index, ".com/", ".com:443/", 1), 1)
	if got := fieldErrors(t, explicit443); got != nil {
		t.Errorf("egress.port 443 with index port :443: errors = %v, want none", got)
	}
}

func TestEgressPortDefaultsToIndexPort(t *testing.T) {
	doc := strings.Replace(exampleJSON(t, "egress-ip.json"), `,
    "port": 443`, "", 1)
	index := requestIndexURL(t, doc)
	tests := map[string]int{
		index: 443,
		strings.Replace(index, ".com/", ".com:8443/", 1): 8443,
	}
	for url, want := range tests {
		req, err := Parse([]byte(strings.Replace(doc, index, url, 1)))
		if err != nil {
			t.Fatalf("%s: Parse: %v", url, err)
		}
		if req.Egress.Port != want {
			t.Errorf("%s: egress.port = %d, want %d", url, req.Egress.Port, want)
		}
	}
}

// requestIndexURL returns the index_url value of an example request.
func requestIndexURL(t *testing.T, doc string) string {
	t.Helper()
	req, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !strings.Contains(req.Repository.IndexURL, ".com/") {
		t.Fatalf("index_url %q has no .com/ to put a port after", req.Repository.IndexURL)
	}
	return req.Repository.IndexURL
}
