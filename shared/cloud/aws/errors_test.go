package aws

import (
	"testing"

	"github.com/aws/smithy-go"

	"github.com/repolink/repolink/shared/workflow"
)

func TestClassifyPermissionDenied(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"AccessDenied", workflow.ErrPermissionDenied},
		{"AccessDeniedException", workflow.ErrPermissionDenied},
		{"UnauthorizedOperation", workflow.ErrPermissionDenied},
		{"AuthFailure", workflow.ErrInvalidRequest},
		{"InvalidParameterValue", workflow.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := classify(&smithy.GenericAPIError{Code: tt.code, Message: "not allowed"}, "us-east-1", "create security group %s", "sg1")
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.want, err)
			}
		})
	}
}
