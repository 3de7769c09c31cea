package preflight

import (
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/workflow"
)

// TestPackageFailureError checks that every failed package check carries
// InvalidRequest, as the run's preflight step fails with it, and that the
// fix names $.repository.packages only for a listed requirement whose
// project or version the index does not have.
func TestPackageFailureError(t *testing.T) {
	tests := []struct {
		name     string
		packages []string
		behavior pyindex.Behavior
		check    string
		want     string
		// wantFix is a part of the check's fix.
		wantFix string
	}{
		{name: "misspelled name", packages: []string{"reqeusts"}, check: "package reqeusts",
			want: workflow.ErrInvalidRequest, wantFix: "$.repository.packages"},
		{name: "pin not on index", packages: []string{"requests==9.9.9"}, check: "package requests==9.9.9",
			want: workflow.ErrInvalidRequest, wantFix: "$.repository.packages"},
		{name: "range matches nothing", packages: []string{"requests>=9"}, check: "package requests>=9",
			want: workflow.ErrInvalidRequest, wantFix: "$.repository.packages"},
		{name: "wrong hashes", packages: []string{"requests"}, behavior: pyindex.Behavior{WrongHashes: true},
			check: "package requests", want: workflow.ErrInvalidRequest, wantFix: "republish"},
		{name: "snowpark missing", packages: []string{"requests"}, behavior: pyindex.Behavior{Missing: []string{"snowflake-snowpark-python"}},
			check: "package snowflake-snowpark-python", want: workflow.ErrInvalidRequest, wantFix: "$.repository.procedures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, testUser, testPassword, repoHost)
			idx.SetBehavior(tt.behavior)
			req := testRequest()
			req.Repository.Packages = tt.packages

			report := runSandbox(t, servers{repoHost: idx.Addr()}.client(t, ca), req)
			got := find(report, tt.check)
			if got.Status != Failed {
				t.Fatalf("%s status = %q, want failed; checks: %+v", tt.check, got.Status, report.Checks)
			}
			if got.Error != tt.want {
				t.Errorf("%s error = %q, want %q", tt.check, got.Error, tt.want)
			}
			if !strings.Contains(got.Fix, tt.wantFix) {
				t.Errorf("%s fix = %q, want it to contain %q", tt.check, got.Fix, tt.wantFix)
			}
		})
	}
}

// TestRequestFaultIndexChecks checks that index_url and allowed_prefixes,
// which only a change of the request fixes, fail with InvalidRequest.
func TestRequestFaultIndexChecks(t *testing.T) {
	t.Run("index url without https", func(t *testing.T) {
		req := testRequest()
		req.Repository.IndexURL = "http://" + repoHost + "/simple/"
		report := runSandbox(t, http.DefaultClient, req)
		got := find(report, "index_url")
		if got.Status != Failed {
			t.Fatalf("index_url status = %q, want failed; checks: %+v", got.Status, report.Checks)
		}
		if got.Error != workflow.ErrInvalidRequest {
			t.Errorf("index_url error = %q, want %q", got.Error, workflow.ErrInvalidRequest)
		}
		if !strings.Contains(got.Fix, "$.repository.index_url") {
			t.Errorf("index_url fix = %q, want it to name $.repository.index_url", got.Fix)
		}
	})

	t.Run("file host not allowed", func(t *testing.T) {
		ca := newCA(t)
		idx := startIndex(t, ca, testUser, testPassword, repoHost)
		cdn := startIndex(t, ca, "", "", cdnHost)
		cdn.SetBehavior(pyindex.Behavior{RejectAuthorization: true})
		idx.SetBehavior(pyindex.Behavior{FileRedirect: "https://" + cdnHost + "/files/"})
		report := runSandbox(t, servers{repoHost: idx.Addr(), cdnHost: cdn.Addr()}.client(t, ca), testRequest())
		got := find(report, "allowed_prefixes")
		if got.Status != Failed {
			t.Fatalf("allowed_prefixes status = %q, want failed; checks: %+v", got.Status, report.Checks)
		}
		if got.Error != workflow.ErrInvalidRequest {
			t.Errorf("allowed_prefixes error = %q, want %q", got.Error, workflow.ErrInvalidRequest)
		}
	})
}
