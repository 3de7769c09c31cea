package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPreflightSkipsChecksOfUnknownZone checks that preflight lists the
// checks that read a zone or region as skipped, with the field that the
// gcp_region check rejects, and not as passed, when the project does not
// list gcp.zone or gcp.region.
func TestPreflightSkipsChecksOfUnknownZone(t *testing.T) {
	tests := []struct {
		name, example, region, zone string
		// skipped are the checks that preflight skips.
		skipped []string
		reason  string
	}{
		{"zone the region lacks", "gcp-privatelink.json", "us-central1", "us-central1-q",
			[]string{"gcp_machine_type"}, "not checked: $.gcp.zone us-central1-q is not a zone of region us-central1"},
		{"misspelt region", "gcp-privatelink.json", "us-cental1", "us-cental1-a",
			[]string{"psc_subnet", "gcp_machine_type"}, "not checked: $.gcp.region us-cental1 is not a Compute Engine region"},
		{"zone the region lacks with proxy none", "gcp-privatelink-no-proxy.json", "us-central1", "us-central1-q",
			[]string{"gcp_target_vm"}, "not checked: $.gcp.zone us-central1-q is not a zone of region us-central1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := writeExample(t, tt.example, func(doc map[string]any) {
				section(doc, "gcp")["region"] = tt.region
				section(doc, "gcp")["zone"] = tt.zone
				if section(doc, "gcp")["proxy"] != "none" {
					section(doc, "gcp")["machine_type"] = "e2-bogus"
				}
			})
			code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), req)
			if code != exitInvalid {
				t.Errorf("preflight exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}
			for _, check := range tt.skipped {
				if regexp.MustCompile(`passed +` + check + ` `).MatchString(out) {
					t.Errorf("preflight lists %s as passed:\n%s", check, out)
				}
				line := regexp.MustCompile(`(?m)^  skipped  ` + check + ` +(.*)$`).FindStringSubmatch(out)
				if line == nil {
					t.Errorf("preflight lists no skipped %s line:\n%s", check, out)
					continue
				}
				if !strings.HasPrefix(line[1], tt.reason) || !strings.Contains(line[1], "gcp_region check") {
					t.Errorf("skipped %s reason = %q, want %q and the gcp_region check", check, line[1], tt.reason)
				}
			}
			summary := regexp.MustCompile(`, 1 failed, (\d+) skipped\n`).FindStringSubmatch(out)
			if summary == nil || summary[1] != strconv.Itoa(len(tt.skipped)) {
				t.Errorf("summary line lacks %d skipped:\n%s", len(tt.skipped), out)
			}
		})
	}
}
