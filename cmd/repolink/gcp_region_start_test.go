package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUnknownGCPRegionRejected checks that preflight, run and plan reject a
// gcp-privatelink request whose gcp.region Compute Engine does not have,
// or whose gcp.zone is not in it, with status 2 and the field named, and
// that run starts no execution for it. A misspelt region is named as the
// region even when gcp.zone is a zone of the intended region.
func TestUnknownGCPRegionRejected(t *testing.T) {
	tests := []struct {
		name, region, zone, want string
	}{
		{"misspelt region", "europe-wst4", "europe-wst4-a",
			"$.gcp.region europe-wst4 is not a Compute Engine region of project corp-packages-prod; set $.gcp.region to one of its regions, such as europe-west4"},
		{"zone the region lacks", "europe-west1", "europe-west1-a",
			"$.gcp.zone europe-west1-a is not a zone of region europe-west1; set $.gcp.zone to one of its zones: europe-west1-b"},
		{"misspelt region with its intended zone", "us-cental1", "us-central1-a",
			"$.gcp.region us-cental1 is not a Compute Engine region of project corp-packages-prod; set $.gcp.region to one of its regions, such as us-central1"},
		{"zone of another region", "europe-west1", "us-central1-a",
			"$.gcp.zone us-central1-a is not a zone of region europe-west1; set $.gcp.zone to one of its zones: europe-west1-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			req := writeExample(t, "gcp-privatelink.json", func(doc map[string]any) {
				section(doc, "gcp")["region"] = tt.region
				section(doc, "gcp")["zone"] = tt.zone
			})

			code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, req)
			if code != exitInvalid {
				t.Errorf("preflight exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}
			if !regexp.MustCompile(`failed +gcp_region`).MatchString(out) || !strings.Contains(out, tt.want) {
				t.Errorf("preflight output lacks the failed gcp_region check with %q:\n%s", tt.want, out)
			}

			checkRejectedBeforeStart(t, dir, req, tt.want)
		})
	}
}

// checkRejectedBeforeStart checks that run rejects the request file req
// with status 2, the message want and the note that nothing was created,
// that it starts no execution in dir, and that plan rejects req with want
// in its output.
func checkRejectedBeforeStart(t *testing.T, dir, req, want string) {
	t.Helper()
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("run exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("run stderr lacks %q:\n%s", want, errOut)
	}
	if !strings.Contains(errOut, "nothing was created") {
		t.Errorf("run stderr does not say that nothing was created:\n%s", errOut)
	}

	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := eng.ListMachine(context.Background(), provisionMachine, time.Time{})
	eng.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 0 {
		t.Errorf("rejected run started %d executions, want none", len(runs))
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(out, want) {
		t.Errorf("plan output lacks %q:\n%s", want, out)
	}
}
