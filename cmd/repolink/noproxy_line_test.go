package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stepLineFields returns the fields of the progress line of step in out,
// without its duration, or nil when out has no such line.
func stepLineFields(out, step string) []string {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != step {
			continue
		}
		if _, err := time.ParseDuration(fields[len(fields)-1]); err == nil {
			fields = fields[:len(fields)-1]
		}
		return fields
	}
	return nil
}

func TestNoProxyStepLines(t *testing.T) {
	tests := []struct {
		example, step string
		want          []string
	}{
		// The load balancers of AWS and Azure send to target_address, so
		// the step builds nothing, has no ID and shows its reason instead.
		{"aws-privatelink-no-proxy.json", "proxy_vm", []string{"proxy_vm", "skipped", "proxy", "is", `"none"`}},
		{"azure-privatelink-no-proxy.json", "azure_proxy_vm", []string{"azure_proxy_vm", "skipped", "proxy", "is", `"none"`}},
		// An internal passthrough load balancer on Google Cloud reaches only
		// VMs through an instance group, so the step creates the group
		// around the repository VM and shows the group.
		{"gcp-privatelink-no-proxy.json", "gcp_proxy_vm", []string{"gcp_proxy_vm", "created",
			"projects/corp-packages-prod/zones/us-central1-a/instanceGroups/"}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			req := filepath.Join("..", "..", "examples", tt.example)
			code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", t.TempDir(), req)
			if code != exitOK {
				t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			got := stepLineFields(out, tt.step)
			if len(got) != len(tt.want) {
				t.Fatalf("%s line has fields %q, want %d fields like %q", tt.step, got, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("%s line field %d = %q, want %q", tt.step, i, got[i], want)
				}
			}
			if strings.Contains(out, tt.step+" skipped   none") {
				t.Errorf("%s line shows the proxy setting none as an ID:\n%s", tt.step, out)
			}
		})
	}
}
