package cloudresource

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

func TestNamePrefix(t *testing.T) {
	tests := []struct {
		id          string
		maxReadable int
		wantStart   string
	}{
		{"Team A / Prod", 40, "rl-team-a-prod-"},
		{"---", 40, "rl-req-"},
		{"abcdefgh-ijkl", 9, "rl-abcdefgh-"},
	}
	for _, tt := range tests {
		got := NamePrefix(tt.id, tt.maxReadable)
		if !strings.HasPrefix(got, tt.wantStart) {
			t.Errorf("NamePrefix(%q, %d) = %q, want prefix %q", tt.id, tt.maxReadable, got, tt.wantStart)
		}
		if hash := strings.TrimPrefix(got, tt.wantStart); len(hash) != 8 {
			t.Errorf("NamePrefix(%q, %d) = %q, want 8 hex digits after %q", tt.id, tt.maxReadable, got, tt.wantStart)
		}
	}
	if NamePrefix("team-a", 40) == NamePrefix("Team A", 40) {
		t.Errorf("NamePrefix gives IDs that read alike the same prefix %q", NamePrefix("team-a", 40))
	}
}

func TestCheckAdopt(t *testing.T) {
	if err := CheckAdopt("vm", "x", nil, "req-1"); err != nil {
		t.Errorf("untagged: %v", err)
	}
	if err := CheckAdopt("vm", "x", map[string]string{cloud.TagRequest: "req-1"}, "req-1"); err != nil {
		t.Errorf("own tag: %v", err)
	}
	err := CheckAdopt("vm", "x", map[string]string{cloud.TagRequest: "req-2"}, "req-1")
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Errorf("other tag: error %v, want %s", err, workflow.ErrConflict)
	}
}

func TestCheckDelete(t *testing.T) {
	if err := CheckDelete("vm", "x", map[string]string{cloud.TagRequest: "req-1"}, "req-1"); err != nil {
		t.Errorf("own tag: %v", err)
	}
	for name, tags := range map[string]map[string]string{
		"untagged":  nil,
		"other tag": {cloud.TagRequest: "req-2"},
	} {
		err := CheckDelete("vm", "x", tags, "req-1")
		if workflow.NameOf(err) != workflow.ErrConflict {
			t.Errorf("%s: error %v, want %s", name, err, workflow.ErrConflict)
		}
	}
}
