package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLocationRecordStatements(t *testing.T) {
	r := fullStack(t)
	statements := policyStatements(t, r.json)
	// The dynamo package keeps the object locations of each request in a
	// partition whose key starts with this prefix.
	locationKeys := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": "locations#*"}}

	st, ok := findStatement(statements, "SnowflakeRole", "RecordObjectLocations")
	if !ok {
		t.Fatal("role SnowflakeRole has no statement RecordObjectLocations")
	}
	if diff := cmp.Diff([]string{"dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"}, st.Actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"{WaitsTable.Arn}"}, st.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(locationKeys, st.Condition); diff != "" {
		t.Errorf("condition (-want +got):\n%s", diff)
	}
}
