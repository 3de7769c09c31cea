package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake/sessions"
)

func TestLogCloseErrorNamesSessions(t *testing.T) {
	var logs bytes.Buffer
	a := &adapters{logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	logins := []string{"myorg-one/repolink_svc/accountadmin", "myorg-two/repolink_svc/accountadmin"}
	a.logCloseError(fmt.Errorf("close: %w", &sessions.NotClosedError{Logins: logins, Err: context.DeadlineExceeded}))

	var record struct {
		Level   string
		Msg     string
		Logins  []string
		Timeout string
	}
	if err := json.Unmarshal(logs.Bytes(), &record); err != nil {
		t.Fatalf("log is not one JSON record: %v\n%s", err, logs.String())
	}
	if record.Msg != "snowflake sessions not closed in time" {
		t.Errorf("msg = %q, want \"snowflake sessions not closed in time\"", record.Msg)
	}
	if record.Level != "WARN" {
		t.Errorf("level = %q, want WARN", record.Level)
	}
	if diff := cmp.Diff(logins, record.Logins); diff != "" {
		t.Errorf("logins (-want +got):\n%s", diff)
	}
	if record.Timeout != snowflakeCloseTimeout.String() {
		t.Errorf("timeout = %q, want %q", record.Timeout, snowflakeCloseTimeout)
	}
}
