package dynamotest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
)

// Tests share one Node.js process, so each Start must still give an empty
// database of its own.
func TestStartIsolatesTests(t *testing.T) {
	first := dynamotest.Start(t)
	second := dynamotest.Start(t)
	if first.Endpoint == second.Endpoint {
		t.Fatalf("both servers listen on %s, want separate servers", first.Endpoint)
	}

	first.CreateTable(t, "repolink-test")
	tables, err := second.Client().ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("list tables of the second server: %v", err)
	}
	if len(tables.TableNames) != 0 {
		t.Errorf("second server lists tables %v, want none", tables.TableNames)
	}
	second.CreateTable(t, "repolink-test")
}

func TestStartStopsAtCleanup(t *testing.T) {
	var stopped *dynamotest.Server
	t.Run("first", func(t *testing.T) {
		stopped = dynamotest.Start(t)
		stopped.CreateTable(t, "repolink-test")
	})
	if stopped == nil {
		t.Skip("skipping: the first server did not start")
	}
	if _, err := stopped.Client().ListTables(t.Context(), &dynamodb.ListTablesInput{}); err == nil {
		t.Errorf("server at %s answered after its test ended", stopped.Endpoint)
	}

	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
}
