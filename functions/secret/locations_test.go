package secret

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/internal/tokentest"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

func TestRunCreateRecordsLocation(t *testing.T) {
	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
	locations := dynamo.New(server.Client(), "repolink-test").Locations()
	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	clock := simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	(&tokentest.Issuer{Clock: clock}).Env(sb.Env)
	sb.Env.Locations = locations

	out, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"})

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Created {
		t.Errorf("action = %s, want created", out.Action)
	}
	got, err := locations.List(t.Context(), sb.Request.ID)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{workflow.LocationOf(sb.Request)}, got); diff != "" {
		t.Errorf("recorded locations (-want +got):\n%s", diff)
	}
}
