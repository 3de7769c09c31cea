package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRejectedRegionLeavesAccountRegion checks that a plan, preflight and
// run rejected for a region that the cloud lacks leave the sandbox
// Snowflake account's region open and seed no subnet there, so that plan,
// preflight and run of the unchanged example in the same state directory
// pass, and that the run fixes the account's region.
func TestRejectedRegionLeavesAccountRegion(t *testing.T) {
	tests := []struct {
		example    string
		misspell   func(doc map[string]any)
		otherwise  func(doc map[string]any)
		rejectedBy string
		// runExit is the exit status of a run of the misspelt request: 2
		// for a start check, 1 for the preflight step of its execution.
		runExit int
	}{
		{"gcp-privatelink.json", func(doc map[string]any) {
			section(doc, "gcp")["region"] = "us-central9"
			section(doc, "gcp")["zone"] = "us-central9-a"
		}, func(doc map[string]any) {
			section(doc, "gcp")["region"] = "us-east4"
			section(doc, "gcp")["zone"] = "us-east4-a"
		}, "gcp_region", exitInvalid},
		{"gcp-privatelink-no-proxy.json", func(doc map[string]any) {
			section(doc, "gcp")["region"] = "us-central9"
			section(doc, "gcp")["zone"] = "us-central9-a"
		}, func(doc map[string]any) {
			section(doc, "gcp")["region"] = "us-east4"
			section(doc, "gcp")["zone"] = "us-east4-a"
		}, "gcp_region", exitInvalid},
		{"aws-privatelink.json", func(doc map[string]any) {
			section(doc, "aws")["region"] = "us-west-9"
		}, func(doc map[string]any) {
			section(doc, "aws")["region"] = "eu-west-1"
		}, "aws_region", exitInvalid},
		{"azure-privatelink.json", func(doc map[string]any) {
			section(doc, "azure")["location"] = "eastus9"
		}, nil, "azure_location", exitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			dir := t.TempDir()
			misspelt := writeExample(t, tt.example, tt.misspell)
			example := filepath.Join("..", "..", "examples", tt.example)

			for _, command := range []string{"plan", "preflight", "run"} {
				args := []string{command, "--sandbox", "--state-dir", dir, misspelt}
				if command == "run" {
					args = []string{command, "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, misspelt}
				}
				want := exitInvalid
				if command == "run" {
					want = tt.runExit
				}
				code, out, errOut := runCLI(t, args...)
				if code != want {
					t.Errorf("%s of the misspelt request: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
						command, code, want, out, errOut)
				}
				if command != "run" && !strings.Contains(out+errOut, tt.rejectedBy) {
					t.Errorf("%s of the misspelt request does not name %s:\n%s%s", command, tt.rejectedBy, out, errOut)
				}
			}

			code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, example)
			if code != 0 {
				t.Errorf("plan of the example after the rejected commands: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", dir, example)
			if code != 0 {
				t.Errorf("preflight of the example after the rejected commands: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if tt.otherwise == nil {
				// Azure has no account region check.
				return
			}

			code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, example)
			if code != 0 {
				t.Fatalf("run of the example: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			other := writeExample(t, tt.example, tt.otherwise)
			code, out, _ = runCLI(t, "plan", "--sandbox", "--state-dir", dir, other)
			if code == 0 {
				t.Errorf("plan in another region after a run of the example: exit 0, want an account_region conflict")
			}
			if !strings.Contains(out, "account_region") {
				t.Errorf("plan in another region after a run of the example lacks account_region:\n%s", out)
			}
		})
	}
}
