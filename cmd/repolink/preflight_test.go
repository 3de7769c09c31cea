package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/preflight"
	"github.com/repolink/repolink/shared/workflow"
)

// writePreflightRequest writes the AWS example with edit applied to a
// temporary file and returns its path.
func writePreflightRequest(t *testing.T, edit func(string) string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func unchanged(s string) string { return s }

func TestPreflightSandboxPasses(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := writePreflightRequest(t, unchanged)
	err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), path}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("preflight: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"(sandbox index)", "packages: requests==2.32.3, corp-utils==2.3.1, snowflake-snowpark-python==1.25.0", " 0 failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPreflightJSONOutput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := writePreflightRequest(t, unchanged)
	err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), "--output", "json", path}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("preflight: %v\nstderr:\n%s", err, stderr.String())
	}
	var report preflight.Report
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, stdout.String())
	}
	if report.Failed() {
		t.Errorf("report failed: %+v", report.Checks)
	}
	if report.IndexURL != "https://pypi.corp.example.com/simple/" {
		t.Errorf("IndexURL = %q", report.IndexURL)
	}
}

func TestPreflightExitStatus(t *testing.T) {
	missing := func(s string) string {
		return strings.Replace(s, `"corp-utils==2.3.1"`, `"no-such-package"`, 1)
	}
	noVersion := func(s string) string {
		return strings.Replace(s, `"requests", "corp-utils==2.3.1"`, `"requests>=9"`, 1)
	}
	noPin := func(s string) string {
		return strings.Replace(s, `"corp-utils==2.3.1"`, `"corp-utils==9.9.9"`, 1)
	}
	invalid := func(s string) string { return strings.Replace(s, `"us-west-2"`, `"Oregon"`, 1) }
	tests := []struct {
		name string
		args func(path string) []string
		edit func(string) string
		want int
	}{
		{"missing package", func(p string) []string { return []string{"--sandbox", "--state-dir", t.TempDir(), p} }, missing, exitInvalid},
		{"no version in range", func(p string) []string { return []string{"--sandbox", "--state-dir", t.TempDir(), p} }, noVersion, exitInvalid},
		{"pinned version missing", func(p string) []string { return []string{"--sandbox", "--state-dir", t.TempDir(), p} }, noPin, exitInvalid},
		{"invalid request", func(p string) []string { return []string{"--sandbox", "--state-dir", t.TempDir(), p} }, invalid, exitInvalid},
		{"unknown output", func(p string) []string { return []string{"--output", "yaml", p} }, unchanged, exitInvalid},
		{"no request", func(string) []string { return []string{"--sandbox"} }, unchanged, exitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			path := writePreflightRequest(t, tt.edit)
			err := preflightCommand(t.Context(), tt.args(path), &stdout, &stderr)
			if got := exitCode(err, &stderr); got != tt.want {
				t.Errorf("exit status = %d, want %d (error %v)\nstdout:\n%s", got, tt.want, err, stdout.String())
			}
		})
	}

	var stdout, stderr bytes.Buffer
	err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), writePreflightRequest(t, missing)}, &stdout, &stderr)
	var failed *failedError
	if errors.As(err, &failed) {
		t.Errorf("error = %v, want a usage error for a package that the request misnames", err)
	}
	if !strings.Contains(stdout.String(), "failed  package no-such-package") {
		t.Errorf("output lacks the failed package check:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "$.repository.packages") {
		t.Errorf("output does not name $.repository.packages:\n%s", stdout.String())
	}
}

// TestOnlyInvalid checks that a failed check without InvalidRequest, such
// as a request check whose Snowflake login failed, keeps preflight's exit
// status at 1 beside one with it.
func TestOnlyInvalid(t *testing.T) {
	misnamed := preflight.Check{Name: "package reqeusts", Status: preflight.Failed, Error: workflow.ErrInvalidRequest}
	loginFailed := preflight.Check{Name: "snowflake_location", Status: preflight.Failed}
	passed := preflight.Check{Name: "tls_chain", Status: preflight.Passed}
	tests := []struct {
		name   string
		checks []preflight.Check
		want   bool
	}{
		{"request fault only", []preflight.Check{passed, misnamed}, true},
		{"other fault beside it", []preflight.Check{misnamed, loginFailed}, false},
		{"other fault only", []preflight.Check{passed, loginFailed}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onlyInvalid(preflight.Report{Checks: tt.checks}); got != tt.want {
				t.Errorf("onlyInvalid = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPreflightRepeatedZone gives the request two subnets in one
// availability zone, which the run's preflight step rejects, so the command
// fails the same check. The check fails with InvalidRequest, so the command
// exits with status 2, as for a request that does not load.
func TestPreflightRepeatedZone(t *testing.T) {
	// The sandbox puts a subnet whose ID ends in 1 in usw2-az1.
	repeated := func(s string) string {
		return strings.Replace(s, `"subnet-0a1b2c3d4e5f60002"]`, `"subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60011"]`, 1)
	}
	var stdout, stderr bytes.Buffer
	err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), writePreflightRequest(t, repeated)}, &stdout, &stderr)
	if got := exitCode(err, &stderr); got != exitInvalid {
		t.Fatalf("exit status = %d, want %d (error %v)\nstdout:\n%s\nstderr:\n%s", got, exitInvalid, err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "1 of ") || !strings.Contains(stderr.String(), "change the fields that they name") {
		t.Errorf("stderr does not say to change the request:\n%s", stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"failed  availability_zones", "aws.subnet_ids has more than one subnet in one availability zone", "subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60011", " 1 failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestPreflightRunsRequestChecks checks that the command reports the run's
// checks of the Snowflake account and cloud after the index checks.
func TestPreflightRunsRequestChecks(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), "--output", "json", writePreflightRequest(t, unchanged)}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("preflight: %v\nstderr:\n%s", err, stderr.String())
	}
	var report preflight.Report
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, stdout.String())
	}
	status := map[string]preflight.Status{}
	for _, c := range report.Checks {
		status[c.Name] = c.Status
	}
	for _, name := range []string{"snowflake_location", "object_names", "grant_roles", "default_level", "availability_zones", "endpoint_capacity"} {
		if status[name] != preflight.Passed {
			t.Errorf("check %s: status %q, want %q", name, status[name], preflight.Passed)
		}
	}
}

// TestPreflightLeavesOutOtherRoutes checks that preflight lists no check of
// another route: no AWS check outside aws-privatelink, and no endpoint
// place on a route that makes no private endpoint, in text or JSON, and
// that the summary counts only the checks listed.
func TestPreflightLeavesOutOtherRoutes(t *testing.T) {
	tests := []struct {
		example string
		absent  []string
		present []string
	}{
		{"public.json", []string{"vpc_subnets", "proxy_vm_launch", "availability_zones", "endpoint_capacity", "account_region", "psc_subnet", "azure_location"}, []string{"grant_roles"}},
		{"egress-ip.json", []string{"vpc_subnets", "proxy_vm_launch", "availability_zones", "endpoint_capacity", "account_region", "psc_subnet"}, []string{"grant_roles", "egress_security_group"}},
		{"gcp-privatelink.json", []string{"vpc_subnets", "proxy_vm_launch", "availability_zones", "azure_location"}, []string{"account_region", "endpoint_capacity", "psc_subnet"}},
		{"azure-privatelink.json", []string{"vpc_subnets", "proxy_vm_launch", "availability_zones", "psc_subnet"}, []string{"account_region", "endpoint_capacity", "azure_location"}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			path := "../../examples/" + tt.example
			var stdout, stderr bytes.Buffer
			err := preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), "--output", "json", path}, &stdout, &stderr)
			if err != nil {
				t.Fatalf("preflight: %v\nstderr:\n%s", err, stderr.String())
			}
			var report preflight.Report
			if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
				t.Fatalf("decode JSON report: %v\n%s", err, stdout.String())
			}
			listed := map[string]bool{}
			for _, c := range report.Checks {
				listed[c.Name] = true
			}
			for _, name := range tt.absent {
				if listed[name] {
					t.Errorf("JSON report lists check %s", name)
				}
			}
			for _, name := range tt.present {
				if !listed[name] {
					t.Errorf("JSON report lacks check %s", name)
				}
			}

			stdout.Reset()
			err = preflightCommand(t.Context(), []string{"--sandbox", "--state-dir", t.TempDir(), path}, &stdout, &stderr)
			if err != nil {
				t.Fatalf("preflight: %v\nstderr:\n%s", err, stderr.String())
			}
			out := stdout.String()
			for _, name := range tt.absent {
				if strings.Contains(out, " "+name+" ") {
					t.Errorf("text report lists check %s:\n%s", name, out)
				}
			}
			for _, text := range []string{"EC2", "aws.instance_type"} {
				if strings.Contains(out, text) {
					t.Errorf("text report mentions %s:\n%s", text, out)
				}
			}
			summary := fmt.Sprintf("%d passed, 0 warned, 0 failed\n", len(report.Checks))
			if !strings.HasSuffix(out, summary) {
				t.Errorf("text report does not end with %q:\n%s", summary, out)
			}
		})
	}
}
