package gcp

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/api/googleapi"

	"github.com/repolink/repolink/shared/workflow"
)

func TestStartRejected(t *testing.T) {
	project := "corp-packages-prod"
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"invalid argument before the call", workflow.Invalid("gcp: execution argument is too large"), true},
		{"bad request", classify(&googleapi.Error{Code: http.StatusBadRequest}, project, "start execution"), true},
		{"permission denied", classify(&googleapi.Error{Code: http.StatusForbidden}, project, "start execution"), true},
		{"quota exhausted", classify(&googleapi.Error{Code: http.StatusTooManyRequests}, project, "start execution"), true},
		{"server error", classify(&googleapi.Error{Code: http.StatusInternalServerError}, project, "start execution"), false},
		{"unavailable", classify(&googleapi.Error{Code: http.StatusServiceUnavailable}, project, "start execution"), false},
		{"timeout", fmt.Errorf("gcp: start execution: %w", context.DeadlineExceeded), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StartRejected(tt.err); got != tt.want {
				t.Errorf("StartRejected(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
