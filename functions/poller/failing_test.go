package poller

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TestPollLogsFailuresAtBoundedRate polls an account whose query fails
// 25 times and then succeeds, and checks that the poller warns on the
// first and every FailureLogInterval-th failure with the count, and logs
// the recovery once.
func TestPollLogsFailuresAtBoundedRate(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	store := &memWaits{waits: map[string]workflow.Wait{}}
	store.waits["tok"] = workflow.Wait{Token: "tok", Execution: "DATA-1", ServiceID: "svc-x",
		Snowflake: request.Snowflake{Account: "acct", User: "SVC"}, Deadline: now.Add(time.Hour)}
	queries := 0
	conn := &accountConn{queries: &queries, err: errors.New("003001 (42501): SQL access control error")}
	var logs bytes.Buffer
	env := &workflow.Env{
		Waits:  store,
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return *conn, nil
		},
	}
	p := &Poller{Env: env, Tasks: &recordedTasks{success: map[string]string{}, failure: map[string]string{}}}
	for range 25 {
		if _, err := p.Poll(context.Background()); err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	conn.err, conn.infos = nil, `[]`
	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatalf("Poll: %v", err)
	}

	if n := strings.Count(logs.String(), `msg="poll endpoints failed"`); n != 3 {
		t.Errorf("logged %d failure warnings for 25 failed polls, want 3 (polls 1, 10 and 20):\n%s", n, logs.String())
	}
	for _, want := range []string{"failed_polls=1 ", "failed_polls=10 ", "failed_polls=20 "} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `msg="poll endpoints recovered" account=acct failed_polls=25`) {
		t.Errorf("logs lack the recovery after 25 failed polls:\n%s", logs.String())
	}
}

// TestExpiredWaitNamesFailingPolls checks the Timeout cause of a wait
// whose deadline passed while its account's queries failed.
func TestExpiredWaitNamesFailingPolls(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	store := &memWaits{waits: map[string]workflow.Wait{}}
	store.waits["tok"] = workflow.Wait{Token: "tok", Execution: "DATA-1", ServiceID: "svc-x", Host: "pypi.corp.example.com",
		Snowflake: request.Snowflake{Account: "acct", User: "SVC"}, Deadline: now.Add(-time.Minute)}
	queries := 0
	env := &workflow.Env{
		Waits: store,
		Now:   func() time.Time { return now },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return accountConn{queries: &queries, err: errors.New("SQL access control error")}, nil
		},
	}
	tasks := &recordedTasks{success: map[string]string{}, failure: map[string]string{}}
	if _, err := (&Poller{Env: env, Tasks: tasks}).Poll(context.Background()); err != nil {
		t.Fatalf("Poll: %v", err)
	}
	got := tasks.failure["tok"]
	if strings.Contains(got, "awaiting operator") {
		t.Errorf("cause %q has the prefix awaiting operator, which is no error name", got)
	}
	for _, want := range []string{"Timeout: await_endpoint: the endpoint to svc-x for pypi.corp.example.com was not live by ",
		"redrive the run", "The last 1 queries of the endpoints failed: ", "SQL access control error"} {
		if !strings.Contains(got, want) {
			t.Errorf("cause %q lacks %q", got, want)
		}
	}
}
