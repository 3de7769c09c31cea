package preflight

import (
	"errors"
	"fmt"
	"net"
	"testing"
)

// codeError is an API error with a code, as smithy.APIError has one.
type codeError struct{ code string }

func (e *codeError) Error() string     { return "api error " + e.code }
func (e *codeError) ErrorCode() string { return e.code }

func TestIsUnknownRegion(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		// The SDK's error for a region that AWS has no endpoint for.
		{"no such host", fmt.Errorf("describe availability zones: %w",
			&net.DNSError{Err: "no such host", Name: "ec2.us-west-3.amazonaws.com", IsNotFound: true}), true},
		{"sandbox rejection", fmt.Errorf("describe availability zones: %w", &codeError{unknownRegionCode}), true},
		{"temporary DNS failure", &net.DNSError{Err: "server misbehaving", Name: "ec2.us-west-2.amazonaws.com", IsTemporary: true}, false},
		{"other API error", &codeError{"UnauthorizedOperation"}, false},
		{"other error", errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isUnknownRegion(tt.err); got != tt.want {
				t.Errorf("isUnknownRegion(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
