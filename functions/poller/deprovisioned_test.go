package poller

import (
	"context"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// A recreated Azure or Google Cloud service has the ID of the deleted one,
// so Snowflake may list the endpoint that a teardown deprovisioned before
// the new one to the same ID.
func TestPollSkipsDeprovisionedEndpoint(t *testing.T) {
	store := &memWaits{waits: map[string]workflow.Wait{"tok": {Token: "tok", Execution: "run",
		Snowflake: request.Snowflake{Account: "acct", User: "SVC"}, ServiceID: "svc", Cloud: "azure",
		Deadline: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	queries := 0
	infos := `[{"provider_resource_id":"svc","endpoint_state":"PENDING_DELETION","status":"DISCONNECTED"},` +
		`{"provider_resource_id":"svc","endpoint_state":"CREATED","status":"APPROVED"}]`
	tasks := &recordedTasks{success: map[string]string{}, failure: map[string]string{}}
	p := &Poller{Env: &workflow.Env{
		Waits: store,
		Now:   func() time.Time { return time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return accountConn{queries: &queries, infos: infos}, nil
		},
	}, Tasks: tasks}

	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatalf("poll: %v", err)
	}
	if got, ok := tasks.failure["tok"]; ok {
		t.Errorf("task failure %q, want none", got)
	}
	want := `{"endpoint_state":"CREATED","status":"APPROVED"}`
	if got := tasks.success["tok"]; got != want {
		t.Errorf("task success output %s, want %s", got, want)
	}
}
