package preflight

import (
	"net/http"
	"slices"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// TestFailureSkipsLaterChecks checks that a check that stops the run
// leaves every later check in the report as skipped, naming the failed
// check, so that the report lists the same checks as a passing run.
func TestFailureSkipsLaterChecks(t *testing.T) {
	ca := newCA(t)
	idx := startIndex(t, ca, testUser, testPassword, repoHost)
	passing := runSandbox(t, servers{repoHost: idx.Addr()}.client(t, ca), testRequest())
	if passing.Failed() {
		t.Fatalf("passing run failed: %+v", passing.Checks)
	}

	tests := []struct {
		name   string
		report func(t *testing.T) Report
		failed string
	}{
		{name: "index url without https", failed: "index_url", report: func(t *testing.T) Report {
			req := testRequest()
			req.Repository.IndexURL = "http://" + repoHost + "/simple/"
			return runSandbox(t, http.DefaultClient, req)
		}},
		{name: "untrusted certificate", failed: "tls_chain", report: func(t *testing.T) Report {
			return runSandbox(t, servers{repoHost: idx.Addr()}.client(t, newCA(t)), testRequest())
		}},
		{name: "rejected credential", failed: "credentials", report: func(t *testing.T) Report {
			rejecting := startIndex(t, ca, testUser, "another password", repoHost)
			return runSandbox(t, servers{repoHost: rejecting.Addr()}.client(t, ca), testRequest())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report := tt.report(t)
			got := find(report, tt.failed)
			if got.Status != Failed {
				t.Fatalf("%s status = %q, want failed; checks: %+v", tt.failed, got.Status, report.Checks)
			}
			if got.Error != workflow.ErrInvalidRequest {
				t.Errorf("%s error = %q, want %q", tt.failed, got.Error, workflow.ErrInvalidRequest)
			}

			var names []string
			for _, c := range report.Checks {
				names = append(names, c.Name)
			}
			for _, c := range passing.Checks {
				if !slices.Contains(names, c.Name) {
					t.Errorf("report lacks check %s; checks: %v", c.Name, names)
				}
			}
			if len(report.Checks) != len(passing.Checks) {
				t.Errorf("report lists %d checks, want %d as a passing run: %v", len(report.Checks), len(passing.Checks), names)
			}

			after := slices.IndexFunc(report.Checks, func(c Check) bool { return c.Name == tt.failed })
			for _, c := range report.Checks[after+1:] {
				if c.Status != Skipped {
					t.Errorf("%s after the failed %s has status %q, want skipped", c.Name, tt.failed, c.Status)
				}
				if want := "not checked: the " + tt.failed + " check failed"; c.Detail != want {
					t.Errorf("%s detail = %q, want %q", c.Name, c.Detail, want)
				}
			}
		})
	}
}
