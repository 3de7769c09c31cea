// Package defaulttest runs the default step and teardown_snowflake on a
// sandbox Snowflake with the default repository records in a deployment's
// store, so that each deployment's tests check the same sequence.
package defaulttest

import (
	"testing"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/teardownsnowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// CheckRecords runs the steps with env, whose Defaults must be empty and
// whose Snowflake reaches sb, after sb.CreateObjects. The default step
// records the schema. A run with default_for database unsets the schema
// and records the database, and teardown unsets the database and deletes
// the records.
func CheckRecords(t *testing.T, sb *sfsandbox.Sandbox, env *workflow.Env) {
	t.Helper()
	ctx := t.Context()
	doc := sb.Document()

	if _, err := defaultrepo.Run(ctx, env, doc); err != nil {
		t.Fatalf("default step with default_for schema: %v", err)
	}
	checkRecordTargets(t, env, "SCHEMA PLATFORM.PACKAGES")

	doc.Request.Repository.DefaultFor = "database"
	out, err := defaultrepo.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("default step with default_for database: %v", err)
	}
	if want := "DATABASE PLATFORM; unset on the schema"; out.ID != want {
		t.Errorf("default step ID = %q, want %q", out.ID, want)
	}
	checkRecordTargets(t, env, "DATABASE PLATFORM")

	if _, err := teardownsnowflake.Run(ctx, env, doc); err != nil {
		t.Fatalf("teardown_snowflake: %v", err)
	}
	checkRecordTargets(t, env)
	for _, target := range []string{"SCHEMA PLATFORM.PACKAGES", "DATABASE PLATFORM"} {
		for _, row := range sb.Query(t, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN "+target) {
			if row["value"] != "" {
				t.Errorf("%s default after teardown = %q from %s, want none", target, row["value"], row["level"])
			}
		}
	}
}

// checkRecordTargets checks that the default repository records in env
// have exactly the targets want, in key order.
func checkRecordTargets(t *testing.T, env *workflow.Env, want ...string) {
	t.Helper()
	records, err := env.Defaults.List(t.Context())
	if err != nil {
		t.Fatalf("list default repository records: %v", err)
	}
	var got []string
	for _, d := range records {
		got = append(got, d.Target)
	}
	if len(got) != len(want) {
		t.Fatalf("record targets = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record target %d = %q, want %q", i, got[i], want[i])
		}
	}
}
