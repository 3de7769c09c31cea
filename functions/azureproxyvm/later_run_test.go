package azureproxyvm

import (
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestRunChangedLaunchSettingConflicts(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*request.Azure)
		field string
	}{
		{"vm size", func(a *request.Azure) { a.VMSize = "Standard_B2s" }, "$.azure.vm_size"},
		{"image", func(a *request.Azure) { a.Image = "Canonical:ubuntu-22_04-lts:server:latest" }, "$.azure.image"},
		{"upstream", func(a *request.Azure) { a.Upstream = "pypi2.corp.example.com:443" }, "$.azure.upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runTwice(t, azureRequest("nginx"), tt.edit)
			if got := workflow.NameOf(err); got != workflow.ErrConflict {
				t.Fatalf("error name = %q (%v), want Conflict", got, err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
		})
	}
}

// TestLaterRunDocsListConflicts checks that the paragraph of docs/azure.md
// on a later run names every azure field whose change fails the step.
func TestLaterRunDocsListConflicts(t *testing.T) {
	doc, err := os.ReadFile("../../docs/azure.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "On a later run the step compares the VM")
	if !ok {
		t.Fatal("docs/azure.md has no paragraph on a later run of azure_proxy_vm")
	}
	section, _, _ = strings.Cut(section, "**`azure_load_balancer`.**")

	req := azureRequest("nginx")
	fields := []string{"$.azure.admin_username", "$.azure.ssh_public_key"}
	for _, s := range settings(req.Azure, nil) {
		if strings.HasPrefix(s.Field, "$.azure.") {
			fields = append(fields, s.Field)
		}
	}
	for _, field := range fields {
		name := "`" + strings.TrimPrefix(field, "$.azure.") + "`"
		if !strings.Contains(section, name) {
			t.Errorf("docs/azure.md on a later run does not name %s", name)
		}
	}
	for _, name := range []string{"`repository.index_url`", "`extra_allowed_prefixes`"} {
		if !strings.Contains(section, name) {
			t.Errorf("docs/azure.md on a later run does not name %s", name)
		}
	}
}
