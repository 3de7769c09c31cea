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
