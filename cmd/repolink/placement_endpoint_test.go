package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox"
)

// TestPlacementEndpointCost checks that a rejected placement change names
// what a teardown of the earlier aws-privatelink run costs in Snowflake
// private endpoints only when that run may have provisioned its endpoint:
// it succeeded, or it failed in the endpoint step. A run that failed in its
// proxy VM step never reached that step.
func TestPlacementEndpointCost(t *testing.T) {
	const cost = "deprovisions its Snowflake private endpoint"
	tests := []struct {
		name     string
		fault    string
		wantCost bool
	}{
		{name: "succeeded", wantCost: true},
		{name: "failed in endpoint step", fault: `{"cloud": "snowflake", "match": "SYSTEM$PROVISION_PRIVATELINK_ENDPOINT", "kind": "reject"}`,
			wantCost: true},
		{name: "failed in proxy VM step", fault: `{"cloud": "aws", "match": "RunInstances", "kind": "reject"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
			dir := t.TempDir()
			wantExit := exitOK
			if tt.fault != "" {
				faults := filepath.Join(t.TempDir(), "faults.json")
				if err := os.WriteFile(faults, []byte(`{"rules": [`+tt.fault+`]}`), 0o600); err != nil {
					t.Fatal(err)
				}
				t.Setenv(sandbox.FaultsEnv, faults)
				wantExit = exitFailed
			}
			first := writeRequest(t, func(doc map[string]any) { doc["id"] = "PE-1" })
			moved := writeRequest(t, func(doc map[string]any) {
				doc["id"] = "PE-1"
				section(doc, "aws")["region"] = "eu-west-1"
			})
			if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != wantExit {
				t.Fatalf("first run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantExit, out, errOut)
			}
			movedReq, err := readRequest(moved)
			if err != nil {
				t.Fatal(err)
			}

			reason := apiStartReasonOf(t, dir, "PE-1-r2", movedReq)
			if !strings.Contains(reason, "request PE-1 changes") {
				t.Fatalf("StartExecution check: reason %q, want a placement change", reason)
			}
			if got := strings.Contains(reason, cost); got != tt.wantCost {
				t.Errorf("reason names the endpoint cost: %v, want %v\n%s", got, tt.wantCost, reason)
			}
		})
	}
}
