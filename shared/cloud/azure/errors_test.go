package azure

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/repolink/repolink/shared/workflow"
)

func TestClassifyPermissionDenied(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		want   string
	}{
		{"authorization failed", http.StatusForbidden, "AuthorizationFailed", workflow.ErrPermissionDenied},
		{"linked authorization failed", http.StatusForbidden, "LinkedAuthorizationFailed", workflow.ErrPermissionDenied},
		{"forbidden without a known code", http.StatusForbidden, "SomethingForbidden", workflow.ErrPermissionDenied},
		{"invalid token", http.StatusUnauthorized, "InvalidAuthenticationToken", workflow.ErrInvalidRequest},
		{"bad request", http.StatusBadRequest, "InvalidParameter", workflow.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(&azcore.ResponseError{StatusCode: tt.status, ErrorCode: tt.code}, "create virtual network %s", "vnet1")
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.want, err)
			}
		})
	}
}
