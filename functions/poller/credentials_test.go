package poller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/internal/tokentest"
	"github.com/repolink/repolink/functions/secret"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// renewalFixture is a CodeArtifact request whose secret the secret step
// created in the sandbox Snowflake, with a 12-hour token issued at the
// clock's start, and a poller over the recorded expiry.
type renewalFixture struct {
	sb      *sfsandbox.Sandbox
	clock   *simtest.Clock
	issuer  *tokentest.Issuer
	store   *expiries.Store
	dbPath  string
	logs    *bytes.Buffer
	poller  *Poller
	started time.Time
}

func newRenewalFixture(t *testing.T) *renewalFixture {
	t.Helper()
	f := &renewalFixture{sb: sfsandbox.Start(t), logs: &bytes.Buffer{}}
	f.sb.Request = tokentest.Request(f.sb.Request)
	f.started = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f.clock = simtest.NewClock(f.started)
	f.issuer = &tokentest.Issuer{Clock: f.clock}
	f.issuer.Env(f.sb.Env)
	f.sb.Env.Logger = slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.sb.Env.Waits = &memWaits{waits: map[string]workflow.Wait{}}
	f.dbPath = filepath.Join(t.TempDir(), "credentials.db")
	store, err := expiries.Open(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f.store = store
	f.sb.Env.Credentials = store
	if _, err := secret.Run(t.Context(), f.sb.Env, workflow.Document{Request: f.sb.Request, Execution: "DATA-4711-r1"}); err != nil {
		t.Fatalf("secret step: %v", err)
	}
	f.poller = &Poller{Env: f.sb.Env}
	return f
}

func (f *renewalFixture) poll(t *testing.T) Report {
	t.Helper()
	report, err := f.poller.Poll(t.Context())
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if report.Errors != 0 {
		t.Fatalf("Poll counted %d errors; logs:\n%s", report.Errors, f.logs)
	}
	return report
}

func (f *renewalFixture) record(t *testing.T) workflow.CredentialExpiry {
	t.Helper()
	records, err := f.store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Fatalf("%d expiry records, want 1", len(records))
	}
	return records[0]
}

// secretPassword returns the password in the request's SECRET.
func (f *renewalFixture) secretPassword(t *testing.T) string {
	t.Helper()
	account, err := f.sb.Server.Snapshot(f.sb.Request.Snowflake.Account)
	if err != nil {
		t.Fatal(err)
	}
	name := workflow.NamesFor(f.sb.Request).Secret
	for secretName, s := range account.Databases["PLATFORM"].Schemas["PACKAGES"].Secrets {
		if strings.EqualFold(secretName, name) {
			password, _, err := f.sb.Server.OpenSecret(s)
			if err != nil {
				t.Fatal(err)
			}
			return password
		}
	}
	t.Fatalf("secret %s not found", name)
	return ""
}

func TestPollRenewsTokenNearExpiry(t *testing.T) {
	f := newRenewalFixture(t)
	// Less than a third of the 12-hour lifetime is left.
	f.clock.Advance(8*time.Hour + time.Minute)

	report := f.poll(t)
	if report.Renewed != 1 {
		t.Fatalf("Renewed = %d, want 1", report.Renewed)
	}
	tokens := f.issuer.Tokens()
	if len(tokens) != 2 {
		t.Fatalf("%d tokens issued, want 2", len(tokens))
	}
	if f.secretPassword(t) != tokens[1] {
		t.Error("the secret does not hold the renewed token")
	}
	want := f.clock.Now().Add(12 * time.Hour)
	if got := f.record(t); !got.ExpiresAt.Equal(want) || !got.IssuedAt.Equal(f.clock.Now()) {
		t.Errorf("record issued %s, expires %s; want %s and %s", got.IssuedAt, got.ExpiresAt, f.clock.Now(), want)
	}

	stored, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range tokens {
		if strings.Contains(f.logs.String(), token) {
			t.Error("a token is in the logs")
		}
		if strings.Contains(string(stored), token) {
			t.Error("a token is in the expiry store")
		}
	}
}

func TestPollKeepsTokenFarFromExpiry(t *testing.T) {
	f := newRenewalFixture(t)
	first := f.secretPassword(t)
	f.clock.Advance(7 * time.Hour)

	report := f.poll(t)
	if report.Renewed != 0 {
		t.Errorf("Renewed = %d, want 0 with 5 of 12 hours left", report.Renewed)
	}
	if n := len(f.issuer.Calls()); n != 1 {
		t.Errorf("AuthorizationToken called %d times, want only the secret step's call", n)
	}
	if f.secretPassword(t) != first {
		t.Error("the secret's token changed")
	}
	if got := f.record(t); !got.ExpiresAt.Equal(f.started.Add(12 * time.Hour)) {
		t.Errorf("record expires %s, want %s", got.ExpiresAt, f.started.Add(12*time.Hour))
	}
}

func TestPollRenewsOncePerLifetime(t *testing.T) {
	f := newRenewalFixture(t)
	f.clock.Advance(9 * time.Hour)
	if report := f.poll(t); report.Renewed != 1 {
		t.Fatalf("first poll Renewed = %d, want 1", report.Renewed)
	}
	renewed := f.secretPassword(t)

	f.clock.Advance(time.Minute)
	if report := f.poll(t); report.Renewed != 0 {
		t.Errorf("second poll Renewed = %d, want 0", report.Renewed)
	}
	if n := len(f.issuer.Calls()); n != 2 {
		t.Errorf("AuthorizationToken called %d times, want 2", n)
	}
	if f.secretPassword(t) != renewed {
		t.Error("the second poll changed the secret's token")
	}
}

func TestRenewTwiceKeepsOneRecord(t *testing.T) {
	f := newRenewalFixture(t)
	for range 2 {
		f.clock.Advance(time.Hour)
		if _, err := secret.Renew(t.Context(), f.sb.Env, f.record(t)); err != nil {
			t.Fatalf("Renew: %v", err)
		}
	}
	tokens := f.issuer.Tokens()
	if f.secretPassword(t) != tokens[len(tokens)-1] {
		t.Error("the secret does not hold the latest token")
	}
	want := f.started.Add(2*time.Hour + 12*time.Hour)
	if got := f.record(t); !got.ExpiresAt.Equal(want) {
		t.Errorf("record expires %s, want %s", got.ExpiresAt, want)
	}
}

func TestPollDropsRecordOfDroppedSecret(t *testing.T) {
	f := newRenewalFixture(t)
	f.sb.Exec(t, "DROP SECRET PLATFORM.PACKAGES."+workflow.NamesFor(f.sb.Request).Secret)
	f.clock.Advance(10 * time.Hour)

	report := f.poll(t)
	if report.Renewed != 0 {
		t.Errorf("Renewed = %d, want 0", report.Renewed)
	}
	records, err := f.store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 0 {
		t.Errorf("%d expiry records left, want 0", len(records))
	}
}

func TestPollWarnsOnceAboutStoredToken(t *testing.T) {
	f := newRenewalFixture(t)
	rec := f.record(t)
	rec.Renewable = false
	rec.Request.Repository.Auth.Type = "password"
	if err := f.store.Put(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(9 * time.Hour)

	if report := f.poll(t); report.ExpiryWarnings != 1 || report.Renewed != 0 {
		t.Fatalf("first poll: %d warnings, %d renewed; want 1 and 0", report.ExpiryWarnings, report.Renewed)
	}
	if !strings.Contains(f.logs.String(), "index credential expires soon") {
		t.Errorf("no warning logged:\n%s", f.logs)
	}
	if report := f.poll(t); report.ExpiryWarnings != 0 {
		t.Errorf("second poll: %d warnings, want 0", report.ExpiryWarnings)
	}

	f.clock.Advance(4 * time.Hour)
	f.poll(t)
	records, err := f.store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 0 {
		t.Errorf("%d expiry records left after the expiry, want 0", len(records))
	}
}

// fixedSecrets resolves every credential reference to one value.
// The warning about a stored token gives the deployment's NextAction, or
// defaultNextAction when the poller has none.
func TestExpiryWarningNextAction(t *testing.T) {
	cases := []struct {
		name       string
		nextAction func(request.Request) string
		want       func(request.Request) string
	}{
		{"default", nil, func(request.Request) string { return defaultNextAction }},
		{"deployment", func(request.Request) string { return "store a new token" }, func(request.Request) string { return "store a new token" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			f.poller.NextAction = tc.nextAction
			rec := f.record(t)
			rec.Renewable = false
			rec.Request.Repository.Auth.Type = "password"
			if err := f.store.Put(t.Context(), rec); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(9 * time.Hour)
			f.poll(t)

			var warnings []string
			for line := range strings.Lines(f.logs.String()) {
				var record struct {
					Msg  string `json:"msg"`
					Next string `json:"next"`
				}
				if err := json.Unmarshal([]byte(line), &record); err != nil {
					t.Fatalf("log line %q is not JSON: %v", line, err)
				}
				if record.Msg == "index credential expires soon" {
					warnings = append(warnings, record.Next)
				}
			}
			if len(warnings) != 1 {
				t.Fatalf("warnings logged = %d, want 1; log:\n%s", len(warnings), f.logs)
			}
			if want := tc.want(rec.Request); warnings[0] != want {
				t.Errorf("warning next = %q, want %q", warnings[0], want)
			}
		})
	}
}

type fixedSecrets string

func (s fixedSecrets) Resolve(context.Context, string) (string, error) { return string(s), nil }

func TestPasswordRunStopsRenewal(t *testing.T) {
	f := newRenewalFixture(t)
	stale := f.record(t)

	// The same request moves to a password that repolink does not renew.
	f.sb.Request.Repository.IndexURL = "https://pypi.corp.example/simple/"
	f.sb.Request.Repository.Auth = request.Auth{Type: "password", Username: "svc-pypi", PasswordRef: "env:PYPI_PASSWORD"}
	f.sb.Env.Secrets = fixedSecrets("user-password")
	if _, err := secret.Run(t.Context(), f.sb.Env, workflow.Document{Request: f.sb.Request, Execution: "DATA-4711-r2"}); err != nil {
		t.Fatalf("secret step with password: %v", err)
	}
	records, err := f.store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 0 {
		t.Errorf("%d expiry records after the password run, want 0", len(records))
	}

	f.clock.Advance(10 * time.Hour)
	if report := f.poll(t); report.Renewed != 0 {
		t.Errorf("Renewed = %d, want 0", report.Renewed)
	}
	// A poller that listed the record before the run renews from a stale copy.
	if _, err := secret.Renew(t.Context(), f.sb.Env, stale); !errors.Is(err, secret.ErrNotRenewable) {
		t.Errorf("Renew of the stale record: error = %v, want ErrNotRenewable", err)
	}
	if f.secretPassword(t) != "user-password" {
		t.Error("the user's password was replaced")
	}
	if n := len(f.issuer.Calls()); n != 1 {
		t.Errorf("AuthorizationToken called %d times, want only the first run's call", n)
	}
}

// failingWaits is a wait registry whose List fails.
type failingWaits struct{ memWaits }

func (*failingWaits) List(context.Context) ([]workflow.Wait, error) {
	return nil, errors.New("wait table unavailable")
}

func TestPollRenewsWhenWaitListFails(t *testing.T) {
	f := newRenewalFixture(t)
	f.sb.Env.Waits = &failingWaits{}
	f.clock.Advance(9 * time.Hour)

	report, err := f.poller.Poll(t.Context())
	if err == nil || !strings.Contains(err.Error(), "wait table unavailable") {
		t.Errorf("Poll error = %v, want the wait listing error", err)
	}
	if report.Renewed != 1 {
		t.Errorf("Renewed = %d, want 1", report.Renewed)
	}
	if report.Errors != 1 {
		t.Errorf("Errors = %d, want 1 for the wait listing", report.Errors)
	}
}

// blockingConn is a Snowflake connection whose queries return only when
// their context ends. Each query calls started first.
type blockingConn struct{ started func() }

func (blockingConn) Exec(context.Context, string) error { return errors.New("unexpected exec") }

func (c blockingConn) Query(ctx context.Context, _ string) ([]snowflake.Row, error) {
	c.started()
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestPollRenewsDespiteSlowEndpointQuery(t *testing.T) {
	f := newRenewalFixture(t)
	// The poll's deadline gives the credential checks half of its 10 s.
	// The endpoint query hangs until the poll's context ends, and the test
	// ends it as soon as that query starts instead of waiting out the
	// deadline.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sandboxConn := f.sb.Env.Snowflake
	f.sb.Env.Snowflake = func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
		if sf.Account == "slow-account" {
			return blockingConn{started: cancel}, nil
		}
		return sandboxConn(ctx, sf)
	}
	wait := workflow.Wait{Token: "tok", Execution: "DATA-9", ServiceID: "svc", Cloud: "aws",
		Snowflake: request.Snowflake{Account: "slow-account", User: "SVC"}, Deadline: f.started.Add(48 * time.Hour)}
	if err := f.sb.Env.Waits.Put(t.Context(), wait); err != nil {
		t.Fatal(err)
	}
	f.poller.Tasks = &recordedTasks{success: map[string]string{}, failure: map[string]string{}}
	f.clock.Advance(9 * time.Hour)

	report, err := f.poller.Poll(ctx)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if report.Renewed != 1 {
		t.Errorf("Renewed = %d, want 1 although the endpoint query timed out; logs:\n%s", report.Renewed, f.logs)
	}
	if report.Errors != 1 {
		t.Errorf("Errors = %d, want 1 for the endpoint query that ended with the poll", report.Errors)
	}
}

// staleList is a credential registry whose List returns the records of an
// earlier read, as a poll lists them when a run replaces a record after the
// poll listed it.
type staleList struct {
	workflow.CredentialRegistry
	listed []workflow.CredentialExpiry
}

func (s staleList) List(context.Context) ([]workflow.CredentialExpiry, error) { return s.listed, nil }

// TestPollKeepsRecordReplacedAfterList lists a password record that a run
// then replaces with a record of a token that repolink renews. Neither the
// poller's warning nor its drop of the expired listed record may overwrite
// or delete the run's record.
func TestPollKeepsRecordReplacedAfterList(t *testing.T) {
	for _, tt := range []struct {
		name    string
		advance time.Duration
	}{
		{name: "warning", advance: 9 * time.Hour},
		{name: "expired", advance: 13 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			renewable := f.record(t)
			listed := renewable
			listed.Renewable = false
			listed.Request.Repository.Auth.Type = "password"
			f.poller.Env.Credentials = staleList{CredentialRegistry: f.store, listed: []workflow.CredentialExpiry{listed}}
			f.clock.Advance(tt.advance)

			f.poll(t)

			got := f.record(t)
			if !got.Renewable || !got.WarnedAt.IsZero() || !secret.SameRenewal(got, renewable) {
				t.Errorf("record after the poll = %+v, want the run's renewable record unchanged", got)
			}
		})
	}
}
