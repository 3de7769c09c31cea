package azure

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
)

func TestTagsOfFoldsRepolinkKeys(t *testing.T) {
	got := tagsOf(map[string]*string{
		"Repolink:Request":   to("REQ-1"),
		"REPOLINK:EXECUTION": to("exec-1"),
		"repolink:target":    to("pypi.corp.example.com:443"),
		"CostCenter":         to("4711"),
		"empty":              nil,
	})
	want := map[string]string{
		cloud.TagRequest:   "REQ-1",
		cloud.TagExecution: "exec-1",
		cloud.TagTarget:    "pypi.corp.example.com:443",
		"CostCenter":       "4711",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tagsOf (-want +got):\n%s", diff)
	}
}

// TestRepolinkTagKeysCanonical checks that the keys that lookups use are
// the spelling that canonicalTagKey returns.
func TestRepolinkTagKeysCanonical(t *testing.T) {
	for _, key := range []string{cloud.TagRequest, cloud.TagExecution, cloud.TagTarget} {
		if !strings.HasPrefix(key, repolinkTagPrefix) {
			t.Errorf("tag key %s does not start with %s", key, repolinkTagPrefix)
		}
		if got := canonicalTagKey(key); got != key {
			t.Errorf("canonicalTagKey(%s) = %s, want the key unchanged", key, got)
		}
	}
}

func TestTagsForFoldsRepolinkKeys(t *testing.T) {
	got := tagsOf(tagsFor("REQ-1", map[string]string{"Repolink:Execution": "exec-1", "CostCenter": "4711"}))
	want := map[string]string{cloud.TagRequest: "REQ-1", cloud.TagExecution: "exec-1", "CostCenter": "4711"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tagsFor (-want +got):\n%s", diff)
	}
}
