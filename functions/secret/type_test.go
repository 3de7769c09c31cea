package secret

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

// TestRunRejectsOtherSecretType creates the request's secret with a token
// and runs the step again with a password. The existing GENERIC_STRING
// secret cannot take a password, so the step fails with InvalidRequest
// naming repository.auth.type, and the secret keeps its TYPE.
func TestRunRejectsOtherSecretType(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Env.Now = simtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)).Now
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sb.Env.Credentials = store
	sb.Request.Repository.Auth.Type = "token"
	sb.Request.Repository.Auth.TokenRef = "env:REPOLINK_TEST_TOKEN"
	sb.Env.Secrets = envSecrets{
		"env:REPOLINK_TEST_TOKEN":    "reader:first-token",
		"env:REPOLINK_TEST_PASSWORD": "second-password",
	}
	if _, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request}); err != nil {
		t.Fatalf("Run with a token: %v", err)
	}

	sb.Request.Repository.Auth.Type = "password"
	sb.Request.Repository.Auth.TokenRef = ""
	sb.Request.Repository.Auth.Username = "reader"
	sb.Request.Repository.Auth.PasswordRef = "env:REPOLINK_TEST_PASSWORD"
	_, err = Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request})
	if err == nil {
		t.Fatal("Run with a password: no error, want InvalidRequest")
	}
	if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
		t.Errorf("error name = %q, want %q (error %v)", name, workflow.ErrInvalidRequest, err)
	}
	for _, want := range []string{"repository.auth.type password", "TYPE = GENERIC_STRING", "tear down the request first"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "second-password") {
		t.Errorf("error %q contains the password", err)
	}

	account, err := sb.Server.Snapshot(sb.Request.Snowflake.Account)
	if err != nil {
		t.Fatal(err)
	}
	name := workflow.NamesFor(sb.Request).Secret
	for secretName, secret := range account.Databases["PLATFORM"].Schemas["PACKAGES"].Secrets {
		if strings.EqualFold(secretName, name) && secret.Type != "GENERIC_STRING" {
			t.Errorf("secret %s TYPE = %q after the rejected run, want GENERIC_STRING", secretName, secret.Type)
		}
	}
}
