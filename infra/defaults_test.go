package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultRecordStatements(t *testing.T) {
	r := fullStack(t)
	statements := policyStatements(t, r.json)
	// The dynamo package keeps every default repository record in this
	// partition, and the condition names it exactly.
	defaultKeys := map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": "default#levels"}}

	st, ok := findStatement(statements, "SnowflakeRole", "RecordDefaultRepositoryLevels")
	if !ok {
		t.Fatal("role SnowflakeRole has no statement RecordDefaultRepositoryLevels")
	}
	if diff := cmp.Diff([]string{"dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}, st.Actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"{WaitsTable.Arn}"}, st.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(defaultKeys, st.Condition); diff != "" {
		t.Errorf("condition (-want +got):\n%s", diff)
	}

	read, ok := findStatement(statements, "PreflightRole", "ReadDefaultRepositoryLevels")
	if !ok {
		t.Fatal("role PreflightRole has no statement ReadDefaultRepositoryLevels")
	}
	if diff := cmp.Diff([]string{"dynamodb:Query"}, read.Actions); diff != "" {
		t.Errorf("preflight actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"{WaitsTable.Arn}"}, read.Resources); diff != "" {
		t.Errorf("preflight resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(defaultKeys, read.Condition); diff != "" {
		t.Errorf("preflight condition (-want +got):\n%s", diff)
	}

	// No other role reaches the records.
	for _, other := range statements {
		if other.Role == "SnowflakeRole" || other.Role == "PreflightRole" && other.Sid == "ReadDefaultRepositoryLevels" {
			continue
		}
		if strings.Contains(fmt.Sprint(other.Condition), "default#") {
			t.Errorf("role %s reaches the default repository records (statement %s)", other.Role, other.Sid)
		}
	}
}
