package gcp

import (
	"net/http"
	"testing"

	"google.golang.org/api/googleapi"

	"github.com/repolink/repolink/shared/workflow"
)

func TestClassifyPermissionDenied(t *testing.T) {
	tests := []struct {
		name   string
		status int
		reason string
		want   string
	}{
		{"forbidden", http.StatusForbidden, "forbidden", workflow.ErrPermissionDenied},
		{"api not enabled", http.StatusForbidden, "accessNotConfigured", workflow.ErrPermissionDenied},
		{"quota", http.StatusForbidden, "quotaExceeded", workflow.ErrConflict},
		{"rate limit", http.StatusForbidden, "rateLimitExceeded", workflow.ErrThrottled},
		{"unauthenticated", http.StatusUnauthorized, "authError", workflow.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gerr := &googleapi.Error{Code: tt.status, Message: "denied", Errors: []googleapi.ErrorItem{{Reason: tt.reason}}}
			err := classify(gerr, "proj-1", "insert firewall %s", "fw1")
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.want, err)
			}
		})
	}
}

func TestFirestorePermissionDenied(t *testing.T) {
	err := classifyFirestore(&googleapi.Error{Code: http.StatusForbidden, Message: "Missing or insufficient permissions."}, "waits", "put %s", "token-1")
	if got := workflow.NameOf(err); got != workflow.ErrPermissionDenied {
		t.Errorf("error name = %q, want %q (error %v)", got, workflow.ErrPermissionDenied, err)
	}
}
