package request

import (
	"strings"
	"testing"
)

func TestGrantToRolesRejectsPublic(t *testing.T) {
	for _, role := range []string{`PUBLIC`, `public`, `Public`, `"PUBLIC"`, `"public"`} {
		got := validateOne(t, func(r *Request) { r.Repository.GrantToRoles = []string{"DATA_SCIENCE", role} })
		if got.Path != "$.repository.grant_to_roles[1]" {
			t.Errorf("grant_to_roles %s: path = %q, want $.repository.grant_to_roles[1]", role, got.Path)
		}
		if !strings.Contains(got.Message, "PUBLIC") {
			t.Errorf("grant_to_roles %s: message %q does not name PUBLIC", role, got.Message)
		}
	}
}
