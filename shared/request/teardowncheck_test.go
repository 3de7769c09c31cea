package request

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// exampleRequest returns the parsed aws-privatelink example.
func exampleRequest(t *testing.T) Request {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	req, err := Parse(data)
	if err != nil {
		t.Fatalf("parse example: %v", err)
	}
	return req
}

// fieldPaths returns the paths of the fields that err lists.
func fieldPaths(t *testing.T, err error) []string {
	t.Helper()
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	var paths []string
	for _, f := range invalid.Fields {
		paths = append(paths, f.Path)
	}
	return paths
}

func TestValidateForTeardownAcceptsOlderRequests(t *testing.T) {
	cases := map[string]func(*Request){
		"invisible id":        func(r *Request) { r.ID = "Z-1\u200b" },
		"padded id":           func(r *Request) { r.ID = " Z-1 " },
		"index port 8443":     func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com:8443/simple/" },
		"padded schema":       func(r *Request) { r.Snowflake.Schema = "PACKAGES " },
		"colon in user name":  func(r *Request) { r.Repository.Auth.Username = "svc:snowflake" },
		"id like a teardown":  func(r *Request) { r.ID = "DATA-4711-teardown" },
		"invisible user name": func(r *Request) { r.Snowflake.User = "REPOLINK_SVC\ufeff" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			req := exampleRequest(t)
			change(&req)
			if err := req.Validate(); err == nil {
				t.Fatalf("Validate accepted the request, so the case does not test a strict rule")
			}
			if err := req.ValidateForTeardown(); err != nil {
				t.Errorf("ValidateForTeardown: %v", err)
			}
		})
	}
}

func TestValidateForTeardownRejectsMissingFields(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Request)
		path   string
	}{
		{"no id", func(r *Request) { r.ID = "" }, "$.id"},
		{"blank id", func(r *Request) { r.ID = "  " }, "$.id"},
		{"no aws block", func(r *Request) { r.AWS = nil }, "$.aws"},
		{"no route", func(r *Request) { r.Route = "" }, "$.route"},
		{"unknown route", func(r *Request) { r.Route = "aws" }, "$.route"},
		{"no repository name", func(r *Request) { r.Repository.Name = "" }, "$.repository.name"},
		{"no database", func(r *Request) { r.Snowflake.Database = "" }, "$.snowflake.database"},
		{"no schema", func(r *Request) { r.Snowflake.Schema = "" }, "$.snowflake.schema"},
		{"no credential", func(r *Request) { r.Snowflake.PrivateKeyRef = "" }, "$.snowflake.private_key_ref"},
		{"literal credential", func(r *Request) { r.Snowflake.PrivateKeyRef = "-----BEGIN PRIVATE KEY-----" }, "$.snowflake.private_key_ref"},
		{"account with host", func(r *Request) { r.Snowflake.Account = "attacker.example/x" }, "$.snowflake.account"},
		{"account url", func(r *Request) { r.Snowflake.Account = "https://myorg.snowflakecomputing.com" }, "$.snowflake.account"},
		{"escape in id", func(r *Request) { r.ID = "Z-1\x1b[2J" }, "$.id"},
		{"bidi in schema", func(r *Request) { r.Snowflake.Schema = "PACKAGES\u202e" }, "$.snowflake.schema"},
		{"newline in user", func(r *Request) { r.Snowflake.User = "SVC\nX" }, "$.snowflake.user"},
		{"region with path", func(r *Request) { r.AWS.Region = "us-west-2/x" }, "$.aws.region"},
		{"no region", func(r *Request) { r.AWS.Region = "" }, "$.aws.region"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := exampleRequest(t)
			tc.change(&req)
			paths := fieldPaths(t, req.ValidateForTeardown())
			found := false
			for _, p := range paths {
				found = found || p == tc.path
			}
			if !found {
				t.Errorf("error paths = %q, want %s", paths, tc.path)
			}
		})
	}
}

func TestValidateForTeardownRouteBlocks(t *testing.T) {
	req := exampleRequest(t)
	req.Route = RouteGCPPrivateLink
	if got := fieldPaths(t, req.ValidateForTeardown()); len(got) != 1 || got[0] != "$.gcp" {
		t.Errorf("gcp route with only an aws block: error paths = %q, want [$.gcp]", got)
	}

	req = exampleRequest(t)
	req.Route = RouteEgressIP
	req.AWS = nil
	req.Egress = &Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0abc/x"}
	if got := fieldPaths(t, req.ValidateForTeardown()); len(got) != 1 || got[0] != "$.egress.security_group_id" {
		t.Errorf("egress security group with a path: error paths = %q, want [$.egress.security_group_id]", got)
	}
	req.Egress.SecurityGroupID = "sg-0abc"
	if err := req.ValidateForTeardown(); err != nil {
		t.Errorf("egress request without a port: %v", err)
	}
}

func TestParseForTeardownUsesLenientCheck(t *testing.T) {
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	older := strings.Replace(string(data), "https://pypi.corp.example.com/simple/", "https://pypi.corp.example.com:8443/simple/", 1)
	older = strings.Replace(older, `"DATA-4711"`, `"Z-1\u200b"`, 1)

	if _, err := Parse([]byte(older)); err == nil {
		t.Fatalf("Parse accepted the request, so the test does not cover a strict rule")
	}
	req, err := ParseForTeardown([]byte(older))
	if err != nil {
		t.Fatalf("ParseForTeardown: %v", err)
	}
	if req.ID != "Z-1\u200b" {
		t.Errorf("ID = %q, want %q", req.ID, "Z-1\u200b")
	}
	if req.AWS.Proxy != "nginx" {
		t.Errorf("aws.proxy = %q, want the default nginx", req.AWS.Proxy)
	}

	unknown := strings.Replace(older, `"route"`, `"routes": 1, "route"`, 1)
	if got := fieldPaths(t, func() error { _, err := ParseForTeardown([]byte(unknown)); return err }()); len(got) != 1 || got[0] != "$.routes" {
		t.Errorf("unknown field: error paths = %q, want [$.routes]", got)
	}
	noID := strings.Replace(older, `"id": "Z-1\u200b",`, "", 1)
	if got := fieldPaths(t, func() error { _, err := ParseForTeardown([]byte(noID)); return err }()); len(got) != 1 || got[0] != "$.id" {
		t.Errorf("no id: error paths = %q, want [$.id]", got)
	}
}
