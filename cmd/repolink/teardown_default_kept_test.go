package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// TestTeardownSummaryKeptDefault provisions a request, lets a person take
// its repository over and set it as the account default, and tears the
// request down. The teardown keeps both, and its summary lists the kept
// default with the reason.
func TestTeardownSummaryKeptDefault(t *testing.T) {
	rt, req := openSandbox(t, "public.json")
	name, provisioned := provision(t, rt, req)
	ctx := context.Background()
	conn, err := rt.env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		t.Fatalf("snowflake session: %v", err)
	}
	repo := "PLATFORM.PACKAGES." + strings.ToUpper(workflow.NamesFor(req).Repository)
	for _, stmt := range []string{
		"ALTER ARTIFACT REPOSITORY " + repo + " SET COMMENT = 'kept by the data platform team'",
		"ALTER ACCOUNT SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = " + repo,
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	teardown := runMachine(t, rt, "teardown", name+"-teardown", provisioned.Input)
	if teardown.Status != "SUCCEEDED" {
		t.Fatalf("teardown = %s (%s: %s)", teardown.Status, teardown.Error, teardown.Cause)
	}
	var out bytes.Buffer
	p := &progress{out: &out}
	p.summary(teardown)

	want := "  kept:             DEFAULT_PYTHON_ARTIFACT_REPOSITORY ACCOUNT: it names the kept repository " + repo +
		", which was not created by repolink, so its owner may have set it\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("teardown summary does not list the kept default, want %q in:\n%s", want, out.String())
	}
	rows, err := conn.Query(ctx, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN ACCOUNT")
	if err != nil {
		t.Fatalf("read the account default: %v", err)
	}
	if len(rows) != 1 || rows[0]["value"] != repo {
		t.Errorf("account default after teardown = %v, want %s", rows, repo)
	}
}
