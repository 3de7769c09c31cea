package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/teardownsnowflake"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/workflow"
)

// TestDefaultRecordsInTable runs the default step and teardown_snowflake
// on the DynamoDB table, as the Lambda functions do. The default step
// records the schema. A run with default_for database unsets the schema
// and records the database, and teardown unsets the database and deletes
// the records.
func TestDefaultRecordsInTable(t *testing.T) {
	server := dynamotest.Start(t)
	server.CreateTable(t, "rl-waits")
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Env.Defaults = dynamo.New(server.Client(), "rl-waits").Defaults()
	ctx := t.Context()
	doc := sb.Document()

	if _, err := defaultrepo.Run(ctx, sb.Env, doc); err != nil {
		t.Fatalf("default step with default_for schema: %v", err)
	}
	assertRecordTargets(t, sb.Env, "SCHEMA PLATFORM.PACKAGES")

	doc.Request.Repository.DefaultFor = "database"
	out, err := defaultrepo.Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("default step with default_for database: %v", err)
	}
	if want := "DATABASE PLATFORM; unset on the schema"; out.ID != want {
		t.Errorf("default step ID = %q, want %q", out.ID, want)
	}
	assertRecordTargets(t, sb.Env, "DATABASE PLATFORM")

	if _, err := teardownsnowflake.Run(ctx, sb.Env, doc); err != nil {
		t.Fatalf("teardown_snowflake: %v", err)
	}
	assertRecordTargets(t, sb.Env)
	for _, target := range []string{"SCHEMA PLATFORM.PACKAGES", "DATABASE PLATFORM"} {
		for _, row := range sb.Query(t, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN "+target) {
			if row["value"] != "" {
				t.Errorf("%s default after teardown = %q from %s, want none", target, row["value"], row["level"])
			}
		}
	}
}

// assertRecordTargets checks that the default repository records in env
// have exactly the targets want, in key order.
func assertRecordTargets(t *testing.T, env *workflow.Env, want ...string) {
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

func TestNewAppDefaultRecords(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)

	for _, handler := range []string{"default", "teardown_snowflake"} {
		a, err := newApp(context.Background(), config{Handler: handler, Region: "us-west-2", Table: "rl-waits"}, logger)
		if err != nil {
			t.Fatalf("newApp(%s): %v", handler, err)
		}
		got := a.adapters.Env().Defaults
		if _, ok := got.(*dynamo.DefaultStore); !ok {
			t.Errorf("%s: Defaults with a table is %T, want *dynamo.DefaultStore", handler, got)
		}
	}

	withoutTable, err := newApp(context.Background(), config{Handler: "default", Region: "us-west-2"}, logger)
	if err != nil {
		t.Fatalf("newApp without a table: %v", err)
	}
	if got := withoutTable.adapters.Env().Defaults; got != nil {
		t.Errorf("Defaults without a table is %T, want nil", got)
	}
}
