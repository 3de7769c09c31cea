package verify

import (
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

func TestMissing(t *testing.T) {
	tests := []struct {
		name     string
		report   string
		packages []string
		wantErr  string
		want     int
	}{
		{name: "all present", report: "requests==2.32.3,corp_utils==2.3.1", packages: []string{"requests", "Corp.Utils==2.3.1"}, want: 2},
		{name: "one missing", report: "requests==2.32.3", packages: []string{"requests", "corp-utils"}, wantErr: workflow.ErrRejected},
		{name: "empty report", report: "", packages: []string{"requests"}, wantErr: workflow.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Missing(tt.report, tt.packages)
			if name := workflow.NameOf(err); name != tt.wantErr {
				t.Fatalf("error name %q (%v), want %q", name, err, tt.wantErr)
			}
			if len(got) != tt.want {
				t.Errorf("installed %v, want %d entries", got, tt.want)
			}
		})
	}
}

func TestDistName(t *testing.T) {
	for requirement, want := range map[string]string{"requests": "requests", "corp-utils==2.3.1": "corp-utils", "a[b]>=1": "a", " x <2": "x"} {
		if got := DistName(requirement); got != want {
			t.Errorf("DistName(%q) = %q, want %q", requirement, got, want)
		}
	}
}
