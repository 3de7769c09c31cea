package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
)

func TestNewAppLocationRecords(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)

	for _, handler := range []string{"secret", "repository", "teardown_snowflake"} {
		a, err := newApp(context.Background(), config{Handler: handler, Region: "us-west-2", Table: "rl-waits"}, logger)
		if err != nil {
			t.Fatalf("newApp(%s): %v", handler, err)
		}
		got := a.adapters.Env().Locations
		if _, ok := got.(*dynamo.LocationStore); !ok {
			t.Errorf("%s: Locations with a table is %T, want *dynamo.LocationStore", handler, got)
		}
	}

	withoutTable, err := newApp(context.Background(), config{Handler: "teardown_snowflake", Region: "us-west-2"}, logger)
	if err != nil {
		t.Fatalf("newApp without a table: %v", err)
	}
	if got := withoutTable.adapters.Env().Locations; got != nil {
		t.Errorf("Locations without a table is %T, want nil", got)
	}
}
