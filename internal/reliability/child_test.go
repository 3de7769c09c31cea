package reliability

import (
	"errors"
	"testing"
)

func TestChildResultSucceededRun(t *testing.T) {
	const summary = "summary\n  status:           SUCCEEDED\n"
	tests := []struct {
		name   string
		result childResult
		want   bool
	}{
		{name: "succeeded", result: childResult{stdout: summary}, want: true},
		{name: "failed status", result: childResult{stdout: "summary\n  status:           FAILED\n"}},
		{name: "nonzero exit", result: childResult{code: 1, stdout: summary}},
		{name: "not finished", result: childResult{stdout: summary, err: errors.New("killed")}},
		{name: "no summary", result: childResult{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.result.succeededRun(); got != tt.want {
				t.Errorf("succeededRun() = %v, want %v", got, tt.want)
			}
		})
	}
}
