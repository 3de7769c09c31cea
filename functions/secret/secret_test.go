package secret

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
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

// secretValue returns the user name and password that the sandbox
// Snowflake holds in the request's SECRET.
func secretValue(t *testing.T, sb *sfsandbox.Sandbox) (user, password string) {
	t.Helper()
	account, err := sb.Server.Snapshot(sb.Request.Snowflake.Account)
	if err != nil {
		t.Fatal(err)
	}
	name := workflow.NamesFor(sb.Request).Secret
	for secretName, s := range account.Databases["PLATFORM"].Schemas["PACKAGES"].Secrets {
		if strings.EqualFold(secretName, name) {
			password, _, err := sb.Server.OpenSecret(s)
			if err != nil {
				t.Fatal(err)
			}
			return s.Username, password
		}
	}
	t.Fatalf("secret %s not found", name)
	return "", ""
}

func TestRunCodeArtifactGetsToken(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	sb.Request.Repository.Auth.TokenDurationSeconds = 3600
	clock := simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	issuer := &tokentest.Issuer{Clock: clock}
	issuer.Env(sb.Env)
	var logs bytes.Buffer
	sb.Env.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	store, err := expiries.Open(filepath.Join(dir, "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sb.Env.Credentials = store

	out, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Created {
		t.Errorf("action = %s, want created", out.Action)
	}

	calls := issuer.Calls()
	if len(calls) != 1 {
		t.Fatalf("AuthorizationToken called %d times, want 1", len(calls))
	}
	want := tokentest.Call{Region: "eu-west-1", Domain: "corp", Owner: "111122223333", Duration: time.Hour}
	if calls[0] != want {
		t.Errorf("AuthorizationToken call = %+v, want %+v", calls[0], want)
	}
	token := issuer.Tokens()[0]
	user, password := secretValue(t, sb)
	if user != "aws" {
		t.Errorf("secret user = %q, want aws", user)
	}
	if password != token {
		t.Error("the secret does not hold the token that CodeArtifact returned")
	}

	expires := clock.Now().Add(time.Hour)
	if out.CredentialExpiresAt == nil || !out.CredentialExpiresAt.Equal(expires) {
		t.Errorf("CredentialExpiresAt = %v, want %s", out.CredentialExpiresAt, expires)
	}
	records, err := store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Fatalf("%d expiry records, want 1", len(records))
	}
	if !records[0].Renewable || !records[0].ExpiresAt.Equal(expires) || records[0].Execution != "DATA-4711-r1" {
		t.Errorf("expiry record = %+v, want renewable, expiring %s, of DATA-4711-r1", records[0], expires)
	}

	outJSON, _ := json.Marshal(out)
	stored, err := os.ReadFile(filepath.Join(dir, "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"output": string(outJSON), "logs": logs.String(), "expiry store": string(stored)} {
		if strings.Contains(text, token) {
			t.Errorf("the token is in the %s", where)
		}
	}
}

func TestRunCodeArtifactWithoutIssuer(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	sb.Env.Now = time.Now

	_, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request})
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Fatalf("error = %v (%s), want %s", err, workflow.NameOf(err), workflow.ErrInvalidRequest)
	}
	if !strings.Contains(err.Error(), "repository.auth.type codeartifact is not supported") {
		t.Errorf("error %q does not name repository.auth.type", err)
	}
}

func TestRunRecordsEstimatedExpiryOfStoredToken(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Request.Repository.IndexURL = tokentest.IndexURL
	sb.Request.Repository.Auth.Type = "password"
	sb.Request.Repository.Auth.Username = "aws"
	sb.Request.Repository.Auth.PasswordRef = "env:REPOLINK_TEST_PASSWORD"
	clock := simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	sb.Env.Now = clock.Now
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sb.Env.Credentials = store
	sb.Env.Secrets = envSecrets{"env:REPOLINK_TEST_PASSWORD": "stored-token"}

	out, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := clock.Now().Add(12 * time.Hour)
	if out.CredentialExpiresAt == nil || !out.CredentialExpiresAt.Equal(want) {
		t.Errorf("CredentialExpiresAt = %v, want the estimate %s", out.CredentialExpiresAt, want)
	}
	records, err := store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Renewable {
		t.Fatalf("expiry records = %+v, want one that is not renewable", records)
	}
}

// errLocked is the error of every write to failingRegistry.
var errLocked = errors.New("database is locked")

// failingRegistry is a credential registry whose writes fail. Its Update
// reads the record, so that a change that only reads it succeeds.
type failingRegistry struct{ workflow.CredentialRegistry }

func (failingRegistry) Put(context.Context, workflow.CredentialExpiry) error {
	return errLocked
}

func (r failingRegistry) Update(ctx context.Context, key string, change func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) error {
	return r.CredentialRegistry.Update(ctx, key, func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if _, err := change(stored); err != nil {
			return nil, err
		}
		return nil, errLocked
	})
}

func TestRunCodeArtifactRecordFailureRetries(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	clock := simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	issuer := &tokentest.Issuer{Clock: clock}
	issuer.Env(sb.Env)
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sb.Env.Credentials = failingRegistry{store}

	_, err = Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"})
	if workflow.NameOf(err) != workflow.ErrTransient {
		t.Fatalf("error = %v (%q), want %s", err, workflow.NameOf(err), workflow.ErrTransient)
	}
	if !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("error %q does not include the registry error", err)
	}
}
