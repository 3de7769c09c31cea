package secret

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/internal/tokentest"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/request"
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
			sb := sfsandbox.Start(t)
			sb.Request = tokentest.Request(sb.Request)
			clock := tokentest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
			issuer := &tokentest.Issuer{Clock: clock}
			issuer.Env(sb.Env)
			sb.Env.Credentials = open(t)
			if _, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"}); err != nil {
				t.Fatalf("secret step with codeartifact: %v", err)
			}
			records, err := sb.Env.Credentials.List(t.Context())
			if err != nil || len(records) != 1 {
				t.Fatalf("expiry records = %+v, %v; want one", records, err)
			}
			clock.Advance(9 * time.Hour)

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
			if _, err := Renew(t.Context(), sb.Env, records[0]); err != nil {
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
			records, err = sb.Env.Credentials.List(t.Context())
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
			sb := sfsandbox.Start(t)
			sb.Request = tokentest.Request(sb.Request)
			clock := tokentest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
			issuer := &tokentest.Issuer{Clock: clock}
			issuer.Env(sb.Env)
			sb.Env.Credentials = open(t)
			if _, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"}); err != nil {
				t.Fatalf("secret step with codeartifact: %v", err)
			}
			records, err := sb.Env.Credentials.List(t.Context())
			if err != nil || len(records) != 1 {
				t.Fatalf("expiry records = %+v, %v; want one", records, err)
			}
			if _, err := claimRenewal(t.Context(), sb.Env, records[0]); err != nil {
				t.Fatalf("claimRenewal: %v", err)
			}
			if _, err := claimRenewal(t.Context(), sb.Env, records[0]); err == nil {
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
