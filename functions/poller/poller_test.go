package poller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestJudge(t *testing.T) {
	tests := []struct {
		cloud, state, status string
		want                 Verdict
	}{
		{"aws", "PENDING_CREATION", "Pending", Waiting},
		{"aws", "PENDING_CREATION", "pendingAcceptance", Waiting},
		{"aws", "CREATED", "pending", Waiting},
		{"aws", "CREATED", "Available", Live},
		{"aws", "CREATED", "available", Live},
		{"aws", "created", "AVAILABLE", Live},
		{"aws", "CREATED", "ACCEPTED", Waiting},
		{"azure", "CREATED", "APPROVED", Live},
		{"azure", "CREATED", "Approved", Live},
		{"azure", "CREATED", "Available", Waiting},
		{"gcp", "CREATED", "ACCEPTED", Live},
		{"gcp", "CREATED", "APPROVED", Waiting},
		{"", "CREATED", "Available", Live},
		{"", "CREATED", "APPROVED", Live},
		{"", "CREATED", "accepted", Live},
		{"aws", "PENDING_CREATION", "Available", Waiting},
		{"aws", "CREATED", "rejected", Failed},
		{"aws", "CREATED", "Expired", Failed},
		{"aws", "FAILED", "Pending", Failed},
		{"gcp", "CREATED", "NEEDS_ATTENTION", Failed},
		{"gcp", "PENDING_CREATION", "NO CONNECTION", Waiting},
		{"gcp", "CREATED", "STATUS_UNSPECIFIED", Waiting},
		{"other", "CREATED", "Available", Waiting},
	}
	for _, tt := range tests {
		if got := Judge(tt.cloud, tt.state, tt.status); got != tt.want {
			t.Errorf("Judge(%q, %q, %q) = %v, want %v", tt.cloud, tt.state, tt.status, got, tt.want)
		}
	}
}

func TestIsLiveReport(t *testing.T) {
	tests := []struct {
		cloud, state, status string
		want                 bool
	}{
		{"aws", "CREATED", "Available", true},
		{"azure", "CREATED", "APPROVED", true},
		{"gcp", "CREATED", "ACCEPTED", true},
		{"", "CREATED", "ACCEPTED", true},
		{"aws", "CREATED", "available", false},
		{"aws", "created", "Available", false},
		{"aws", "CREATED", "APPROVED", false},
		{"gcp", "CREATED", "Available", false},
		{"aws", "DELETED", "Bogus", false},
		{"aws", "CREATED", "Available ", false},
	}
	for _, tt := range tests {
		if got := IsLiveReport(tt.cloud, tt.state, tt.status); got != tt.want {
			t.Errorf("IsLiveReport(%q, %q, %q) = %v, want %v", tt.cloud, tt.state, tt.status, got, tt.want)
		}
	}
}

// TestPollReportsLiveSpelling checks that the poller reports a live
// endpoint with the exact values that the state machine accepts, whatever
// case Snowflake uses.
func TestPollReportsLiveSpelling(t *testing.T) {
	for _, tt := range []struct {
		cloud, state, status, want string
	}{
		{"aws", "created", "available", `{"endpoint_state":"CREATED","status":"Available"}`},
		{"azure", "CREATED", "Approved", `{"endpoint_state":"CREATED","status":"APPROVED"}`},
		{"gcp", "Created", "accepted", `{"endpoint_state":"CREATED","status":"ACCEPTED"}`},
	} {
		t.Run(tt.cloud, func(t *testing.T) {
			tasks := pollOneWait(t, tt.cloud, tt.state, tt.status)
			if got := tasks.success["tok"]; got != tt.want {
				t.Errorf("task success output %s, want %s", got, tt.want)
			}
		})
	}
}

// pollOneWait polls once for a single wait on cloud, with Snowflake
// listing its endpoint in state and status, and returns the task outcomes
// that the poll sent.
func pollOneWait(t *testing.T, cloud, state, status string) *recordedTasks {
	t.Helper()
	store := &memWaits{waits: map[string]workflow.Wait{"tok": {Token: "tok", Execution: "run",
		Snowflake: request.Snowflake{Account: "acct", User: "SVC"}, ServiceID: "svc", Cloud: cloud,
		Deadline: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	queries := 0
	infos := fmt.Sprintf(`[{"provider_service_name":"svc","endpoint_state":%q,"status":%q}]`, state, status)
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
	return tasks
}

// memWaits is an in-memory wait registry.
type memWaits struct {
	mu    sync.Mutex
	waits map[string]workflow.Wait
}

func (m *memWaits) Put(_ context.Context, w workflow.Wait) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.waits[w.Token] = w
	return nil
}

func (m *memWaits) List(context.Context) ([]workflow.Wait, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []workflow.Wait
	for _, w := range m.waits {
		out = append(out, w)
	}
	return out, nil
}

func (m *memWaits) Delete(_ context.Context, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.waits, token)
	return nil
}

// accountConn returns the SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO result of one account.
type accountConn struct {
	infos   string
	err     error
	queries *int
}

func (c accountConn) Exec(context.Context, string) error { return errors.New("unexpected exec") }

func (c accountConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	*c.queries++
	if c.err != nil {
		return nil, c.err
	}
	return []snowflake.Row{{"info": c.infos}}, nil
}

type recordedTasks struct {
	success map[string]string
	failure map[string]string
}

func (r *recordedTasks) SendTaskSuccess(_ context.Context, token string, output json.RawMessage) error {
	r.success[token] = string(output)
	return nil
}

func (r *recordedTasks) SendTaskFailure(_ context.Context, token, errName, cause string) error {
	r.failure[token] = errName + ": " + cause
	return nil
}

func TestPollQueriesOncePerAccount(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	store := &memWaits{waits: map[string]workflow.Wait{}}
	queries := 0
	infos := map[string]accountConn{
		"acct-a": {queries: &queries, infos: `[{"provider_service_name":"svc-live","endpoint_state":"CREATED","status":"Available"},{"provider_service_name":"svc-rejected","endpoint_state":"CREATED","status":"rejected"}]`},
		"acct-b": {queries: &queries, infos: `[{"provider_service_name":"svc-pending","endpoint_state":"PENDING_CREATION","status":"Pending"}]`},
		"acct-c": {queries: &queries, err: errors.New("login failed")},
	}
	put := func(token, account, service string, deadline time.Time) {
		store.waits[token] = workflow.Wait{Token: token, Execution: token, Snowflake: request.Snowflake{Account: account, User: "SVC"},
			ServiceID: service, Deadline: deadline}
	}
	// 300 waits over three accounts: the query count must stay at three.
	for i := range 100 {
		put(fmt.Sprintf("live-%d", i), "acct-a", "svc-live", now.Add(time.Hour))
		put(fmt.Sprintf("pending-%d", i), "acct-b", "svc-pending", now.Add(time.Hour))
		put(fmt.Sprintf("down-%d", i), "acct-c", "svc-x", now.Add(time.Hour))
	}
	put("rejected", "acct-a", "svc-rejected", now.Add(time.Hour))
	put("expired", "acct-b", "svc-pending", now.Add(-time.Minute))
	put("expired-down", "acct-c", "svc-x", now.Add(-time.Minute))

	tasks := &recordedTasks{success: map[string]string{}, failure: map[string]string{}}
	env := &workflow.Env{
		Waits: store,
		Now:   func() time.Time { return now },
		Snowflake: func(_ context.Context, sf request.Snowflake) (snowflake.Conn, error) {
			return infos[sf.Account], nil
		},
	}
	report, err := (&Poller{Env: env, Tasks: tasks}).Poll(context.Background())
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if queries != 3 || report.Queries != 3 {
		t.Errorf("queries = %d (report %d), want 3", queries, report.Queries)
	}
	if len(tasks.success) != 100 {
		t.Errorf("succeeded %d waits, want 100", len(tasks.success))
	}
	if got := tasks.failure["rejected"]; !strings.HasPrefix(got, "Rejected: ") {
		t.Errorf("rejected wait failure = %q, want Rejected", got)
	}
	for _, token := range []string{"expired", "expired-down"} {
		if got := tasks.failure[token]; !strings.HasPrefix(got, "Timeout: await_endpoint: the endpoint to ") {
			t.Errorf("%s failure = %q, want Timeout naming the endpoint", token, got)
		}
	}
	if got := tasks.failure["expired-down"]; !strings.Contains(got, "The last 1 queries of the endpoints failed: ") {
		t.Errorf("expired-down failure = %q, want the failed query", got)
	}
	if report.Pending != 200 {
		t.Errorf("pending = %d, want 200", report.Pending)
	}
	if report.Errors != 1 {
		t.Errorf("errors = %d, want 1 (the failing account)", report.Errors)
	}
	left, _ := store.List(context.Background())
	if len(left) != 200 {
		t.Errorf("%d waits left, want the 200 pending ones", len(left))
	}
}

func TestPollFailedEndpointCause(t *testing.T) {
	for _, tt := range []struct {
		cloud, state, status string
		wantZones            bool
	}{
		{"aws", "FAILED", "Pending", true},
		{"aws", "failed", "", true},
		{"aws", "CREATED", "rejected", false},
		{"azure", "FAILED", "Pending", false},
		{"gcp", "FAILED", "PENDING", false},
	} {
		t.Run(tt.cloud+" "+tt.state+" "+tt.status, func(t *testing.T) {
			tasks := pollOneWait(t, tt.cloud, tt.state, tt.status)
			got, failed := tasks.failure["tok"]
			if !failed || !strings.HasPrefix(got, "Rejected: ") {
				t.Fatalf("task failure = %q (sent %t), want Rejected", got, failed)
			}
			if zones := strings.Contains(got, "availability zone") && strings.Contains(got, "aws.subnet_ids"); zones != tt.wantZones {
				t.Errorf("failure %q names the availability zones: %t, want %t", got, zones, tt.wantZones)
			}
		})
	}
}
