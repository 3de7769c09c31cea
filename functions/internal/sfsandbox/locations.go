package sfsandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/workflow"
)

// RecordLocationsInDynamo makes s.Env record object locations in a table
// of a local DynamoDB server, as on the Lambda deployment, and returns
// that store.
func (s *Sandbox) RecordLocationsInDynamo(t *testing.T) *dynamo.LocationStore {
	t.Helper()
	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
	locations := dynamo.New(server.Client(), "repolink-test").Locations()
	s.Env.Locations = locations
	return locations
}

// CheckLocations checks that the object location records of s.Request in
// s.Env are want, in key order.
func (s *Sandbox) CheckLocations(t *testing.T, want ...workflow.ObjectLocation) {
	t.Helper()
	got, err := s.Env.Locations.List(t.Context(), s.Request.ID)
	if err != nil {
		t.Fatalf("list object locations: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded locations (-want +got):\n%s", diff)
	}
}
