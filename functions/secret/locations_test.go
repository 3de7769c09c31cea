package secret

import (
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/internal/tokentest"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

func TestRunCreateRecordsLocation(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	clock := simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	(&tokentest.Issuer{Clock: clock}).Env(sb.Env)
	sb.RecordLocationsInDynamo(t)

	out, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"})

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Created {
		t.Errorf("action = %s, want created", out.Action)
	}
	sb.CheckLocations(t, workflow.LocationOf(sb.Request))
}
