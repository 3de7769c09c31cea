package secret

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/internal/tokentest"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// credentialStores returns constructors of an empty SQLite and an empty
// DynamoDB credential registry, by name. The DynamoDB one skips its test
// when dynalite is not installed.
func credentialStores(t *testing.T) map[string]func(t *testing.T) workflow.CredentialRegistry {
	return map[string]func(t *testing.T) workflow.CredentialRegistry{
		"sqlite": func(t *testing.T) workflow.CredentialRegistry {
			store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			return store
		},
		"dynamodb": func(t *testing.T) workflow.CredentialRegistry {
			server := dynamotest.Start(t)
			server.CreateTable(t, "repolink-test")
			return dynamo.New(server.Client(), "repolink-test").Credentials()
		},
	}
}

// TestRenewalWaitsForPasswordRun runs the secret step of a new run that
// switches the request to a password between the poller's claim on the
// record and its ALTER SECRET. The run must not go ahead while the claim
// lasts, so that the renewal cannot overwrite its password, and must set
// the password once the renewal has ended.
func TestRenewalWaitsForPasswordRun(t *testing.T) {
	for name, open := range credentialStores(t) {
		t.Run(name, func(t *testing.T) {
			f := newRenewalFixture(t, open(t))
			sb := f.sb

			passwordRun := sb.Request
			passwordRun.Repository.Auth = request.Auth{Type: "password", Username: "svc-pypi", PasswordRef: "env:PYPI_PASSWORD"}
			passwordEnv := *sb.Env
			passwordEnv.Secrets = envSecrets{"env:PYPI_PASSWORD": "user-password"}
			runPassword := func() error {
				_, err := Run(t.Context(), &passwordEnv, workflow.Document{Request: passwordRun, Execution: "DATA-4711-r2"})
				return err
			}

			var duringClaim error
			afterRenewalClaim = func() { duringClaim = runPassword() }
			t.Cleanup(func() { afterRenewalClaim = nil })
			if _, err := Renew(t.Context(), sb.Env, f.listed); err != nil {
				t.Fatalf("Renew: %v", err)
			}
			afterRenewalClaim = nil

			if _, password := secretValue(t, sb); duringClaim == nil && password != "user-password" {
				t.Errorf("the renewal overwrote the password that the run set during it")
			}
			if name := workflow.NameOf(duringClaim); name != workflow.ErrNotReady {
				t.Errorf("secret step during the renewal: error = %v (%s), want %s", duringClaim, name, workflow.ErrNotReady)
			}
			if err := runPassword(); err != nil {
				t.Fatalf("secret step after the renewal: %v", err)
			}
			if user, password := secretValue(t, sb); user != "svc-pypi" || password != "user-password" {
				t.Errorf("secret holds user %q and password %q, want the password run's", user, password)
			}
			records, err := sb.Env.Credentials.List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range records {
				if r.Renewable {
					t.Errorf("renewable record %+v left after the password run", r)
				}
			}
		})
	}
}

// TestRenewalClaimLapses checks that a claim that a failed poller left
// keeps a run waiting only until it lapses.
func TestRenewalClaimLapses(t *testing.T) {
	for name, open := range credentialStores(t) {
		t.Run(name, func(t *testing.T) {
			f := newRenewalFixture(t, open(t))
			sb, clock := f.sb, f.clock
			if _, err := claimRenewal(t.Context(), sb.Env, f.listed); err != nil {
				t.Fatalf("claimRenewal: %v", err)
			}
			if _, err := claimRenewal(t.Context(), sb.Env, f.listed); err == nil {
				t.Error("a second claim during the first one succeeded")
			}

			sb.Request.Repository.Auth = request.Auth{Type: "password", Username: "svc-pypi", PasswordRef: "env:PYPI_PASSWORD"}
			sb.Env.Secrets = envSecrets{"env:PYPI_PASSWORD": "user-password"}
			doc := workflow.Document{Request: sb.Request, Execution: "DATA-4711-r2"}
			if _, err := Run(t.Context(), sb.Env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
				t.Errorf("secret step during the claim: error = %v, want %s", err, workflow.ErrNotReady)
			}
			clock.Advance(RenewalClaimTime + time.Second)
			if _, err := Run(t.Context(), sb.Env, doc); err != nil {
				t.Fatalf("secret step after the claim lapsed: %v", err)
			}
			if _, password := secretValue(t, sb); password != "user-password" {
				t.Error("the password run did not set its password")
			}
		})
	}
}

// otherDomainURL is a repository in the CodeArtifact domain other, which a
// later run of the request moves to from the domain of tokentest.IndexURL.
const otherDomainURL = "https://other-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/"

// renewalFixture is a request of auth type codeartifact whose first run set
// a token 9 hours ago, with the expiry record that a poller listed since.
type renewalFixture struct {
	sb     *sfsandbox.Sandbox
	clock  *simtest.Clock
	issuer *tokentest.Issuer
	listed workflow.CredentialExpiry
}

func newRenewalFixture(t *testing.T, store workflow.CredentialRegistry) *renewalFixture {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	clock := simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	issuer := &tokentest.Issuer{Clock: clock}
	issuer.Env(sb.Env)
	sb.Env.Credentials = store
	if _, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"}); err != nil {
		t.Fatalf("secret step with codeartifact: %v", err)
	}
	records, err := store.List(t.Context())
	if err != nil || len(records) != 1 {
		t.Fatalf("expiry records = %+v, %v; want one", records, err)
	}
	clock.Advance(9 * time.Hour)
	return &renewalFixture{sb: sb, clock: clock, issuer: issuer, listed: records[0]}
}

// runOtherDomain runs the secret step of the request moved to the domain
// other, on env.
func (f *renewalFixture) runOtherDomain(t *testing.T, env *workflow.Env) (Output, error) {
	req := f.sb.Request
	req.Repository.IndexURL = otherDomainURL
	return Run(t.Context(), env, workflow.Document{Request: req, Execution: "DATA-4711-r2"})
}

// checkOtherDomain checks that the secret holds the latest token of the
// domain other and that the stored record is of that domain.
func (f *renewalFixture) checkOtherDomain(t *testing.T) {
	t.Helper()
	calls, tokens := f.issuer.Calls(), f.issuer.Tokens()
	want := ""
	for i, call := range calls {
		if call.Domain == "other" {
			want = tokens[i]
		}
	}
	if want == "" {
		t.Fatal("no token was issued for the domain other")
	}
	if _, token := secretValue(t, f.sb); token != want {
		t.Errorf("secret holds token %q, want %q of the domain other", token, want)
	}
	records, err := f.sb.Env.Credentials.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Fatalf("expiry records = %+v, want one", records)
	}
	if got := records[0].Request.Repository.IndexURL; got != otherDomainURL {
		t.Errorf("expiry record index URL = %s, want %s", got, otherDomainURL)
	}
	if !records[0].RenewingUntil.IsZero() {
		t.Errorf("expiry record RenewingUntil = %s, want no claim", records[0].RenewingUntil)
	}
}

// TestRenewalOfRecordChangedAfterList renews the record that a poller
// listed before a run moved the request to another domain. The renewal
// must not set the old domain's token or write back the old record.
func TestRenewalOfRecordChangedAfterList(t *testing.T) {
	for name, open := range credentialStores(t) {
		t.Run(name, func(t *testing.T) {
			f := newRenewalFixture(t, open(t))
			if _, err := f.runOtherDomain(t, f.sb.Env); err != nil {
				t.Fatalf("secret step in the domain other: %v", err)
			}

			_, err := Renew(t.Context(), f.sb.Env, f.listed)

			if !errors.Is(err, ErrRecordChanged) {
				t.Errorf("Renew error = %v, want ErrRecordChanged", err)
			}
			if !errors.Is(err, ErrNotRenewable) {
				t.Errorf("Renew error = %v, want it to match ErrNotRenewable", err)
			}
			if n := len(f.issuer.Calls()); n != 2 {
				t.Errorf("AuthorizationToken called %d times, want only the two runs' calls", n)
			}
			f.checkOtherDomain(t)
		})
	}
}

// TestRenewalWaitsForDomainRun runs the secret step of a run that moves
// the request to another domain between the poller's claim and its ALTER
// SECRET. The run must wait for the claim instead of setting its token
// before the renewal sets the old domain's, and set its token after.
func TestRenewalWaitsForDomainRun(t *testing.T) {
	for name, open := range credentialStores(t) {
		t.Run(name, func(t *testing.T) {
			f := newRenewalFixture(t, open(t))
			var duringClaim error
			var heldDuringClaim string
			afterRenewalClaim = func() {
				_, duringClaim = f.runOtherDomain(t, f.sb.Env)
				_, heldDuringClaim = secretValue(t, f.sb)
			}
			t.Cleanup(func() { afterRenewalClaim = nil })

			if _, err := Renew(t.Context(), f.sb.Env, f.listed); err != nil {
				t.Errorf("Renew: %v", err)
			}
			afterRenewalClaim = nil

			if name := workflow.NameOf(duringClaim); name != workflow.ErrNotReady {
				t.Errorf("secret step during the renewal: error = %v (%s), want %s", duringClaim, name, workflow.ErrNotReady)
			}
			if first := f.issuer.Tokens()[0]; heldDuringClaim != first {
				t.Errorf("secret held token %q after the step during the renewal, want %q of the first run", heldDuringClaim, first)
			}
			if _, err := f.runOtherDomain(t, f.sb.Env); err != nil {
				t.Fatalf("secret step after the renewal: %v", err)
			}
			f.checkOtherDomain(t)
		})
	}
}

// afterAlterConn is a step connection that calls after once, when the
// first ALTER SECRET statement has run.
type afterAlterConn struct {
	snowflake.Conn
	after *func()
}

func (c afterAlterConn) Exec(ctx context.Context, stmt string) error {
	err := c.Conn.Exec(ctx, stmt)
	if after := *c.after; err == nil && after != nil && strings.HasPrefix(stmt, "ALTER SECRET") {
		*c.after = nil
		after()
	}
	return err
}

// TestRunAfterRenewalSetsTokenAgain renews the token from the record of
// the old domain between a run's ALTER SECRET and its write of the new
// record, so that the secret holds the old domain's token. The run must
// not store its record over the renewed one as if its token were set.
func TestRunAfterRenewalSetsTokenAgain(t *testing.T) {
	for name, open := range credentialStores(t) {
		t.Run(name, func(t *testing.T) {
			f := newRenewalFixture(t, open(t))
			var renewErr error
			after := func() { _, renewErr = Renew(t.Context(), f.sb.Env, f.listed) }
			runEnv := *f.sb.Env
			runEnv.Snowflake = func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
				conn, err := f.sb.Env.Snowflake(ctx, sf)
				if err != nil {
					return nil, err
				}
				return afterAlterConn{Conn: conn, after: &after}, nil
			}

			_, err := f.runOtherDomain(t, &runEnv)

			if after != nil {
				t.Fatal("the run ran no ALTER SECRET, so the poller did not renew during it")
			}
			if renewErr != nil {
				t.Fatalf("Renew during the run: %v", renewErr)
			}
			if name := workflow.NameOf(err); name != workflow.ErrNotReady {
				t.Errorf("secret step: error = %v (%s), want %s", err, name, workflow.ErrNotReady)
			}
			if _, err := f.runOtherDomain(t, f.sb.Env); err != nil {
				t.Fatalf("secret step run again: %v", err)
			}
			f.checkOtherDomain(t)
		})
	}
}

// TestCreateWaitsForRenewalClaim runs the secret step of a password run
// after the secret was dropped while a poller's claim on its record lasts.
// The step must wait before it creates the secret, so that its retry after
// the claim still reports created.
func TestCreateWaitsForRenewalClaim(t *testing.T) {
	for name, open := range credentialStores(t) {
		t.Run(name, func(t *testing.T) {
			f := newRenewalFixture(t, open(t))
			sb := f.sb
			if _, err := claimRenewal(t.Context(), sb.Env, f.listed); err != nil {
				t.Fatalf("claimRenewal: %v", err)
			}
			sf := sb.Request.Snowflake
			sb.Exec(t, snowflake.DropSecret(sf.Database, sf.Schema, workflow.NamesFor(sb.Request).Secret))
			sb.Request.Repository.Auth = request.Auth{Type: "password", Username: "svc-pypi", PasswordRef: "env:PYPI_PASSWORD"}
			sb.Env.Secrets = envSecrets{"env:PYPI_PASSWORD": "user-password"}
			doc := workflow.Document{Request: sb.Request, Execution: "DATA-4711-r2"}

			if _, err := Run(t.Context(), sb.Env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
				t.Errorf("secret step during the claim: error = %v, want %s", err, workflow.ErrNotReady)
			}
			f.clock.Advance(RenewalClaimTime + time.Second)
			out, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("secret step after the claim lapsed: %v", err)
			}

			if out.Action != workflow.Created {
				t.Errorf("action = %q, want %q", out.Action, workflow.Created)
			}
			if user, password := secretValue(t, sb); user != "svc-pypi" || password != "user-password" {
				t.Errorf("secret holds user %q and password %q, want the password run's", user, password)
			}
		})
	}
}
