package poller

import (
	"context"
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

// writtenPolls is a WaitPollRecorder that keeps every write.
type writtenPolls struct {
	mu     sync.Mutex
	writes []workflow.WaitPoll
}

func (w *writtenPolls) RecordPoll(_ context.Context, p workflow.WaitPoll) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, p)
	return nil
}

// pollFixture is a poller with one open wait on account acct, a clock that
// the test moves, and the account's query result that the test sets.
type pollFixture struct {
	now    time.Time
	conn   *accountConn
	store  *memWaits
	polls  *writtenPolls
	poller *Poller
}

func newPollFixture() *pollFixture {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	f := &pollFixture{now: start, store: &memWaits{waits: map[string]workflow.Wait{}}, polls: &writtenPolls{}}
	queries := 0
	f.conn = &accountConn{queries: &queries}
	f.store.waits["tok"] = workflow.Wait{Token: "tok", Execution: "DATA-1", ServiceID: "svc-x",
		Snowflake: request.Snowflake{Account: "acct", User: "SVC"}, Deadline: start.Add(24 * time.Hour), CreatedAt: start}
	env := &workflow.Env{
		Waits: f.store,
		Now:   func() time.Time { return f.now },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return *f.conn, nil
		},
	}
	tasks := &recordedTasks{success: map[string]string{}, failure: map[string]string{}}
	f.poller = &Poller{Env: env, Tasks: tasks, Polls: f.polls}
	return f
}

// poll runs one poll after d has passed on the fixture's clock.
func (f *pollFixture) poll(t *testing.T, d time.Duration) {
	t.Helper()
	f.now = f.now.Add(d)
	if _, err := f.poller.Poll(context.Background()); err != nil {
		t.Fatalf("Poll: %v", err)
	}
}

func (f *pollFixture) writes() []workflow.WaitPoll {
	f.polls.mu.Lock()
	defer f.polls.mu.Unlock()
	return append([]workflow.WaitPoll(nil), f.polls.writes...)
}

// TestPollRecordsFailuresAtMostPerMinute polls an account whose query
// fails every 10 seconds and checks that the outcome is written on the
// first failure and then once a minute, with the count and the first line
// of the error.
func TestPollRecordsFailuresAtMostPerMinute(t *testing.T) {
	f := newPollFixture()
	started := f.now
	f.conn.err = errors.New("003001 (42501): SQL access control error:\nInsufficient privileges")
	for range 13 {
		f.poll(t, 10*time.Second)
	}

	writes := f.writes()
	if len(writes) != 3 {
		t.Fatalf("13 failed polls over 130s wrote %d outcomes, want 3 (polls 1, 7 and 13): %+v", len(writes), writes)
	}
	for i, want := range []int{1, 7, 13} {
		if writes[i].FailedPolls != want {
			t.Errorf("write %d has %d failed polls, want %d", i, writes[i].FailedPolls, want)
		}
	}
	last := writes[2]
	if last.Error != "read SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO: 003001 (42501): SQL access control error:" {
		t.Errorf("stored error = %q, want the first line of the query error", last.Error)
	}
	if want := started.Add(10 * time.Second); !last.FailingSince.Equal(want) {
		t.Errorf("failing since %s, want the first failed poll at %s", last.FailingSince, want)
	}
	if want := started.Add(130 * time.Second); !last.At.Equal(want) {
		t.Errorf("poll time %s, want %s", last.At, want)
	}
	if last.Token != "tok" || last.Execution != "DATA-1" {
		t.Errorf("write names token %q and execution %q, want tok and DATA-1", last.Token, last.Execution)
	}
}

// TestPollRecordsChangedOutcomeAtOnce checks that a changed outcome is
// written on the poll that gets it, although a minute has not passed.
func TestPollRecordsChangedOutcomeAtOnce(t *testing.T) {
	f := newPollFixture()
	f.conn.infos = `[{"provider_service_name":"svc-x","endpoint_state":"PENDING_CREATION","status":"pendingAcceptance"}]`
	f.poll(t, time.Second)
	f.poll(t, time.Second)
	f.conn.infos = `[{"provider_service_name":"svc-x","endpoint_state":"PENDING_CREATION","status":"Pending"}]`
	f.poll(t, time.Second)
	f.conn.err = errors.New("login failed")
	f.poll(t, time.Second)
	f.conn.err, f.conn.infos = nil, `[]`
	f.poll(t, time.Second)

	var got []string
	for _, w := range f.writes() {
		got = append(got, fmt.Sprintf("state=%s status=%s error=%s not_listed=%t", w.EndpointState, w.Status, w.Error, w.NotListed))
	}
	want := []string{
		"state=PENDING_CREATION status=pendingAcceptance error= not_listed=false",
		"state=PENDING_CREATION status=Pending error= not_listed=false",
		"state= status= error=read SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO: login failed not_listed=false",
		"state= status= error= not_listed=true",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("written outcomes:\n%q\nwant:\n%q", got, want)
	}
}

// TestPollRecordsNothingForSettledWait checks that a wait that the poll
// completes gets no stored outcome, because its record ends with it.
func TestPollRecordsNothingForSettledWait(t *testing.T) {
	f := newPollFixture()
	f.conn.infos = `[{"provider_service_name":"svc-x","endpoint_state":"CREATED","status":"Available"}]`
	f.poll(t, time.Second)
	if writes := f.writes(); len(writes) != 0 {
		t.Errorf("a live endpoint's wait got %d stored outcomes, want none: %+v", len(writes), writes)
	}
}

// TestPollErrorLineBounded checks that a long first line of an error is
// cut on a character boundary.
func TestPollErrorLineBounded(t *testing.T) {
	line := firstLine(errors.New(strings.Repeat("é", maxPollErrorLength) + "\nsecond"))
	if len(line) > maxPollErrorLength {
		t.Errorf("line has %d bytes, want at most %d", len(line), maxPollErrorLength)
	}
	if !strings.HasSuffix(line, "é...") {
		t.Errorf("line %q does not end in a whole character and ...", line[len(line)-8:])
	}
}
