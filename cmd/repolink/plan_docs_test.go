package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanDocsNameUnknownNetwork checks that plan reports the network
// resources of the Azure and GCP routes as one unknown item, and that the
// route's page states it.
func TestPlanDocsNameUnknownNetwork(t *testing.T) {
	tests := []struct {
		example string
		page    string
		want    string
	}{
		{"azure-privatelink.json", "azure.md", "which reports the Azure resources as one `unknown` item"},
		{"gcp-privatelink.json", "gcp.md", "which reports the GCP resources as one `unknown` item"},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			request := filepath.Join("..", "..", "examples", tt.example)
			code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", t.TempDir(), request)
			if code != exitOK {
				t.Fatalf("plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			network := ""
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "network ") {
					network = strings.Join(strings.Fields(line), " ")
				}
			}
			if !strings.Contains(network, "resources unknown") {
				t.Errorf("plan has no unknown network item:\n%s", out)
			}

			data, err := os.ReadFile(filepath.Join("..", "..", "docs", tt.page))
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(string(data)), " ")
			if !strings.Contains(text, "network lookups in `repolink plan` for this route") {
				t.Errorf("docs/%s does not say that plan has no network lookups for the route", tt.page)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("docs/%s does not say %q", tt.page, tt.want)
			}
		})
	}
}
