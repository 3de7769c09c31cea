package poller

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

var noticeSecret = []byte("notice-signing-secret")

// noticeReceiver is a notify.url on 127.0.0.1 that keeps what it receives.
type noticeReceiver struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
}

func (r *noticeReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
}

func (r *noticeReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// noExecutions is an engine without closed executions, so the notifier
// delivers only what the poller stores.
type noExecutions struct{}

func (noExecutions) ClosedSince(context.Context, time.Time) ([]engine.Execution, error) {
	return nil, nil
}

func (noExecutions) History(context.Context, string) ([]engine.Event, error) { return nil, nil }

// noticeFixture is a stored CodeArtifact token that repolink cannot renew,
// with a poller that notifies through a notifier on notify.db.
type noticeFixture struct {
	*renewalFixture
	recv       *noticeReceiver
	notifyPath string
	notes      *notify.Store
	notifier   *notify.Notifier
}

// newNoticeFixture makes the record's credential a stored token. With
// withURL the request's notify.url is a receiver on 127.0.0.1.
func newNoticeFixture(t *testing.T, withURL bool) *noticeFixture {
	t.Helper()
	f := &noticeFixture{renewalFixture: newRenewalFixture(t), recv: &noticeReceiver{}}
	srv := httptest.NewServer(f.recv)
	t.Cleanup(srv.Close)

	rec := f.record(t)
	rec.Renewable = false
	rec.Request.Repository.Auth = request.Auth{Type: "password", Username: "aws", PasswordRef: "env:CODEARTIFACT_TOKEN"}
	if withURL {
		rec.Request.Notify = &request.Notify{URL: srv.URL + "/hook"}
	}
	if err := f.store.Put(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	f.notifyPath = filepath.Join(t.TempDir(), "notify.db")
	f.restart(t)
	return f
}

// restart replaces the poller, its notifier and both stores with new ones
// on the same files, as a new repolink up on the state directory has.
func (f *noticeFixture) restart(t *testing.T) {
	t.Helper()
	if f.notes != nil {
		f.notes.Close()
		f.store.Close()
		store, err := expiries.Open(f.dbPath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		f.store = store
		f.sb.Env.Credentials = store
	}
	notes, err := notify.OpenStore(f.notifyPath, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { notes.Close() })
	f.notes = notes
	f.notifier, err = notify.New(notify.Config{Store: notes, Executions: noExecutions{}, Secret: noticeSecret,
		Sandbox: true, Now: f.clock.Now, Logger: f.sb.Env.Logger})
	if err != nil {
		t.Fatal(err)
	}
	f.poller = &Poller{Env: f.sb.Env, Notices: f.notifier}
}

// pollAndDeliver polls and then delivers every due notification.
func (f *noticeFixture) pollAndDeliver(t *testing.T) Report {
	t.Helper()
	report := f.poll(t)
	if err := f.notifier.Deliver(t.Context()); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return report
}

func TestPollNotifiesBeforeCredentialExpiry(t *testing.T) {
	f := newNoticeFixture(t, true)
	f.clock.Advance(9 * time.Hour)

	report := f.pollAndDeliver(t)
	if report.ExpiryNotifications != 1 {
		t.Errorf("ExpiryNotifications = %d, want 1", report.ExpiryNotifications)
	}
	if got := f.recv.count(); got != 1 {
		t.Fatalf("receiver got %d notifications, want 1", got)
	}
	if !strings.Contains(f.logs.String(), "index credential expires soon") {
		t.Errorf("no warning logged:\n%s", f.logs)
	}
	if err := webhook.VerifyTimestamped(noticeSecret, f.recv.headers[0], f.recv.bodies[0], f.clock.Now()); err != nil {
		t.Errorf("notification signature: %v", err)
	}
}

func TestCredentialNoticeBody(t *testing.T) {
	f := newNoticeFixture(t, true)
	f.clock.Advance(9 * time.Hour)
	f.pollAndDeliver(t)
	if f.recv.count() != 1 {
		t.Fatalf("receiver got %d notifications, want 1", f.recv.count())
	}
	body := f.recv.bodies[0]

	var got notify.CredentialNotice
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	rec := f.record(t)
	if got.Event != notify.EventCredentialExpiresSoon {
		t.Errorf("event = %q, want %q", got.Event, notify.EventCredentialExpiresSoon)
	}
	if got.RequestID != f.sb.Request.ID {
		t.Errorf("request_id = %q, want %q", got.RequestID, f.sb.Request.ID)
	}
	if got.Execution != "DATA-4711-r1" {
		t.Errorf("execution = %q, want DATA-4711-r1", got.Execution)
	}
	if got.Secret != rec.Secret || got.Secret == "" {
		t.Errorf("secret = %q, want %q", got.Secret, rec.Secret)
	}
	if got.SnowflakeAccount != f.sb.Request.Snowflake.Account {
		t.Errorf("snowflake_account = %q, want %q", got.SnowflakeAccount, f.sb.Request.Snowflake.Account)
	}
	if want := f.started.Add(12 * time.Hour); !got.ExpiresAt.Equal(want) {
		t.Errorf("expires_at = %s, want %s", got.ExpiresAt, want)
	}
	if !got.ExpiresAt.After(f.clock.Now()) {
		t.Errorf("expires_at %s is not after the notification at %s", got.ExpiresAt, f.clock.Now())
	}
	if !strings.Contains(got.Next, "repository.auth.type to codeartifact") {
		t.Errorf("next does not name auth type codeartifact: %q", got.Next)
	}
	if !strings.Contains(got.Next, "repolink run") {
		t.Errorf("next does not name the command that sets the new credential: %q", got.Next)
	}

	for _, token := range f.issuer.Tokens() {
		if strings.Contains(string(body), token) {
			t.Error("the notification body contains the credential")
		}
	}
	if strings.Contains(string(body), f.secretPassword(t)) {
		t.Error("the notification body contains the SECRET's password")
	}
}

func TestPollNotifiesOncePerExpiry(t *testing.T) {
	f := newNoticeFixture(t, true)
	f.clock.Advance(9 * time.Hour)
	f.pollAndDeliver(t)

	f.clock.Advance(time.Minute)
	report := f.pollAndDeliver(t)
	if report.ExpiryNotifications != 0 {
		t.Errorf("second poll ExpiryNotifications = %d, want 0", report.ExpiryNotifications)
	}
	if got := f.recv.count(); got != 1 {
		t.Errorf("receiver got %d notifications after two polls, want 1", got)
	}
}

func TestRestartedPollerNotifiesOnce(t *testing.T) {
	f := newNoticeFixture(t, true)
	f.clock.Advance(9 * time.Hour)
	f.pollAndDeliver(t)

	f.restart(t)
	f.clock.Advance(time.Minute)
	f.pollAndDeliver(t)
	if got := f.recv.count(); got != 1 {
		t.Errorf("receiver got %d notifications across a restart, want 1", got)
	}
}

// A poller that stopped after it stored the notification but before it
// recorded the warning in the expiry record warns again after a restart,
// and the notification store keeps the second notification out.
func TestRestartBeforeWarnedAtNotifiesOnce(t *testing.T) {
	f := newNoticeFixture(t, true)
	f.clock.Advance(9 * time.Hour)
	if _, err := f.notifier.NotifyCredentialExpiry(t.Context(), f.record(t)); err != nil {
		t.Fatal(err)
	}
	if err := f.notifier.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}

	f.restart(t)
	f.pollAndDeliver(t)
	if got := f.recv.count(); got != 1 {
		t.Errorf("receiver got %d notifications, want 1", got)
	}
	if f.record(t).WarnedAt.IsZero() {
		t.Error("the expiry record has no warning time after the poll")
	}
}

func TestPollWithoutNotifyURLSendsNothing(t *testing.T) {
	f := newNoticeFixture(t, false)
	f.clock.Advance(9 * time.Hour)

	report := f.pollAndDeliver(t)
	if report.ExpiryWarnings != 1 {
		t.Errorf("ExpiryWarnings = %d, want 1", report.ExpiryWarnings)
	}
	if report.ExpiryNotifications != 0 {
		t.Errorf("ExpiryNotifications = %d, want 0", report.ExpiryNotifications)
	}
	if got := f.recv.count(); got != 0 {
		t.Errorf("receiver got %d notifications, want 0", got)
	}
	if !strings.Contains(f.logs.String(), "index credential expires soon") {
		t.Errorf("no warning logged:\n%s", f.logs)
	}
}

func TestPollNotifiesNothingFarFromExpiry(t *testing.T) {
	f := newNoticeFixture(t, true)
	f.clock.Advance(7 * time.Hour)

	f.pollAndDeliver(t)
	if got := f.recv.count(); got != 0 {
		t.Errorf("receiver got %d notifications with 5 of 12 hours left, want 0", got)
	}
}
