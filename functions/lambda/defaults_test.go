package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/repolink/repolink/functions/internal/defaulttest"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/workflow"
)

// TestDefaultRecordsInTable runs the default step and teardown_snowflake
// on the DynamoDB table, as the Lambda functions do.
func TestDefaultRecordsInTable(t *testing.T) {
	server := dynamotest.Start(t)
	server.CreateTable(t, "rl-waits")
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Env.Defaults = dynamo.New(server.Client(), "rl-waits").Defaults()
	defaulttest.CheckRecords(t, sb, sb.Env)
}

func TestNewAppDefaultRecords(t *testing.T) {
	for _, handler := range []string{"default", "teardown_snowflake"} {
		got := newAppEnv(t, handler, "rl-waits").Defaults
		if _, ok := got.(*dynamo.DefaultStore); !ok {
			t.Errorf("%s: Defaults with a table is %T, want *dynamo.DefaultStore", handler, got)
		}
	}

	if got := newAppEnv(t, "default", "").Defaults; got != nil {
		t.Errorf("Defaults without a table is %T, want nil", got)
	}
}

// newAppEnv builds the app for handler as init does, on table or on no
// table when it is empty, and returns its step environment. The AWS SDK
// reads no configuration or credentials of the machine and does not ask
// the instance metadata service.
func newAppEnv(t *testing.T, handler, table string) *workflow.Env {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	a, err := newApp(context.Background(), config{Handler: handler, Region: "us-west-2", Table: table}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("newApp(%s) with table %q: %v", handler, table, err)
	}
	return a.adapters.Env()
}
