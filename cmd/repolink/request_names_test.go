package main

import (
	"net/http"
	"testing"
)

// TestWebhookRequestNameSpelling sends POST /v1/requests a request that
// differs from the one an execution ran only in how it spells its names:
// unquoted names in lower case, a quoted upper-case name and the account
// in mixed case. Snowflake resolves each to the same object, so the
// delivery must be a duplicate of that execution, whether it runs or has
// closed, and start no new run.
func TestWebhookRequestNameSpelling(t *testing.T) {
	for _, closed := range []bool{false, true} {
		s := newServedStore(t)
		req := exampleRequest(t, "N-1")
		s.start(t, provisionMachine, "N-1", req)
		want := "RUNNING"
		if closed {
			s.stop(t, "N-1")
			want = "ABORTED"
		}

		respelled := req
		respelled.Snowflake.Account = "MyOrg-Analytics"
		respelled.Snowflake.Role = "accountadmin"
		respelled.Snowflake.Warehouse = "repolink_wh"
		respelled.Snowflake.Database = `"PLATFORM"`
		respelled.Snowflake.Schema = "packages"
		respelled.Repository.Name = "PUBLIC_PYPI"
		respelled.Repository.GrantToRoles = []string{"data_science"}
		code, resp := newWebhookPoster(t, s, respelled)()

		if code != http.StatusOK {
			t.Errorf("closed %v: status %d, want 200; body %+v", closed, code, resp)
		}
		if !resp.Duplicate {
			t.Errorf("closed %v: duplicate is false, want true", closed)
		}
		if resp.Execution != "N-1" {
			t.Errorf("closed %v: execution %q, want N-1", closed, resp.Execution)
		}
		s.assertAbsent(t, "N-1-r2")
		s.assertStatus(t, "N-1", want)
	}
}

// TestSameRequestQuotedName checks that a quoted name in lower case stays
// another object than the unquoted name, as in Snowflake.
func TestSameRequestQuotedName(t *testing.T) {
	req := exampleRequest(t, "N-2")
	quoted := req
	quoted.Snowflake.Role = `"accountadmin"`
	if sameRequest(req, quoted) {
		t.Errorf("role %q compares equal to %q, want another role", quoted.Snowflake.Role, req.Snowflake.Role)
	}
	if !sameRequest(req, req) {
		t.Error("a request differs from itself")
	}
}
