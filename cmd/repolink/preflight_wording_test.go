package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPreflightCapacityAdviceNamesNoRedrive fills the private endpoint
// places of each private-link example's account and checks that
// preflight, which starts no run, advises running the request and not
// redriving a run.
func TestPreflightCapacityAdviceNamesNoRedrive(t *testing.T) {
	for _, example := range []string{"aws-privatelink.json", "azure-privatelink.json", "gcp-privatelink.json"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			reqPath := writeExampleEdit(t, filepath.Join("../../examples", example), func(map[string]any) {})
			req, err := readRequest(reqPath)
			if err != nil {
				t.Fatal(err)
			}
			fillReservations(t, dir, req.Snowflake.Account)

			code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, reqPath)

			if code != exitFailed {
				t.Errorf("preflight exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
			}
			line := lineContaining(out, "endpoint_capacity")
			if !strings.Contains(line, "failed") {
				t.Fatalf("endpoint_capacity line = %q, want failed\nstdout:\n%s", line, out)
			}
			if !strings.Contains(line, "run the request when one of those runs has closed") {
				t.Errorf("endpoint_capacity line %q does not advise running the request", line)
			}
			if strings.Contains(line, "redrive") {
				t.Errorf("endpoint_capacity line %q advises a redrive, but preflight starts no run", line)
			}
		})
	}
}

// TestPreflightAccountRegionSubject checks that the passed account_region
// check of each private-link example names the route's cloud and only the
// region field that the request has.
func TestPreflightAccountRegionSubject(t *testing.T) {
	tests := []struct {
		example, want string
		absent        []string
	}{
		{"aws-privatelink.json", "is on AWS, and $.aws.region is its region", []string{"$.gcp.", "$.azure."}},
		{"azure-privatelink.json", "the Snowflake account of $.snowflake.account is on Azure", []string{"$.aws.", "$.gcp.", "its region"}},
		{"gcp-privatelink.json", "is on Google Cloud, and $.gcp.region is its region", []string{"$.aws.", "$.azure."}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), filepath.Join("../../examples", tt.example))
			if code != exitOK {
				t.Fatalf("preflight exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
			}
			line := lineContaining(out, "account_region")
			if !strings.Contains(line, "passed") || !strings.Contains(line, tt.want) {
				t.Errorf("account_region line = %q, want passed with %q", line, tt.want)
			}
			for _, absent := range tt.absent {
				if strings.Contains(line, absent) {
					t.Errorf("account_region line %q contains %q, which does not fit the request", line, absent)
				}
			}
		})
	}
}
