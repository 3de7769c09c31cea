package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitListKeepsExtras(t *testing.T) {
	tests := []struct {
		text string
		want []any
	}{
		{"requests[socks,security]>=2.31,<3, numpy", []any{"requests[socks,security]>=2.31,<3", "numpy"}},
		{"requests[socks, security], corp-utils==2.3.1", []any{"requests[socks,security]", "corp-utils==2.3.1"}},
		{"requests[socks], numpy", []any{"requests[socks]", "numpy"}},
		{"requests>=2.31,<3, corp-utils", []any{"requests>=2.31,<3", "corp-utils"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, splitList(tt.text, ",")); diff != "" {
			t.Errorf("splitList(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}
