package request

import (
	"fmt"
	"strings"
	"testing"
)

func TestPackagesOverMaximum(t *testing.T) {
	packages := make([]string, maxPackages+1)
	for i := range packages {
		packages[i] = fmt.Sprintf("pkg%d", i)
	}
	got := validateOne(t, func(r *Request) { r.Repository.Packages = packages })
	if got.Path != "$.repository.packages" {
		t.Errorf("path = %q, want $.repository.packages", got.Path)
	}
	if !strings.Contains(got.Message, fmt.Sprintf("maximum of %d", maxPackages)) {
		t.Errorf("message %q does not give the maximum", got.Message)
	}
}

func TestPackagesAtMaximum(t *testing.T) {
	req, err := Parse([]byte(exampleJSON(t, "aws-privatelink.json")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.Repository.Packages = make([]string, maxPackages)
	for i := range req.Repository.Packages {
		req.Repository.Packages[i] = fmt.Sprintf("pkg%d", i)
	}
	if err := req.Validate(); err != nil {
		t.Errorf("Validate with %d packages: %v", maxPackages, err)
	}
}

func TestGrantToRolesOverMaximum(t *testing.T) {
	roles := make([]string, maxGrantRoles+1)
	for i := range roles {
		roles[i] = fmt.Sprintf("ROLE_%d", i)
	}
	got := validateOne(t, func(r *Request) { r.Repository.GrantToRoles = roles })
	if got.Path != "$.repository.grant_to_roles" {
		t.Errorf("path = %q, want $.repository.grant_to_roles", got.Path)
	}
	if !strings.Contains(got.Message, fmt.Sprintf("maximum of %d", maxGrantRoles)) {
		t.Errorf("message %q does not give the maximum", got.Message)
	}
}
