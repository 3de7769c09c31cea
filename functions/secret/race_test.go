package secret

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// startPasswordSecret starts the sandbox for a request with password
// auth, whose step sets the user svc and the password pw-value.
func startPasswordSecret(t *testing.T) *sfsandbox.Sandbox {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.Request.Repository.IndexURL = sfsandbox.IndexURL
	sb.Request.Repository.Auth.Type = "password"
	sb.Request.Repository.Auth.Username = "svc"
	sb.Request.Repository.Auth.PasswordRef = "env:REPOLINK_TEST_PASSWORD"
	sb.Env.Secrets = envSecrets{"env:REPOLINK_TEST_PASSWORD": "pw-value"}
	sb.Env.Now = time.Now
	return sb
}

// secretRace is the race in which a secret with the user other-user
// appears before the step's CREATE SECRET.
var secretRace = sfsandbox.Race{
	Prefix: "CREATE SECRET",
	Create: snowflake.CreateSecretPassword("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "other-user", "other-password"),
	Object: "secret PLATFORM.PACKAGES.CORP_PYPI_SECRET",
	Show:   snowflake.ShowSecrets("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET"),
	Run: func(ctx context.Context, env *workflow.Env, doc workflow.Document) (workflow.Result, error) {
		out, err := Run(ctx, env, doc)
		return out.Result, err
	},
}

func TestSecretCreatedMeanwhileByOtherRequest(t *testing.T) {
	sb := startPasswordSecret(t)

	sb.CheckRaceByOtherRequest(t, secretRace, workflow.Document{Request: sb.Request})

	if user, _ := secretValue(t, sb); user != "other-user" {
		t.Errorf("secret user = %q, want other-user of the other request unchanged", user)
	}
}

func TestSecretCreatedMeanwhileRerunByOwner(t *testing.T) {
	sb := startPasswordSecret(t)

	out := sb.RerunRaceByOwner(t, secretRace, workflow.Document{Request: sb.Request})

	// The owner's own secret gets its credential again, which is an update.
	if out.Action != workflow.Updated {
		t.Errorf("rerun action = %q, want %q", out.Action, workflow.Updated)
	}
	if user, _ := secretValue(t, sb); user != "svc" {
		t.Errorf("secret user = %q, want svc of the owner's request", user)
	}
}

func TestSecretCreatedMeanwhileByHand(t *testing.T) {
	sb := startPasswordSecret(t)

	sb.CheckRaceByHand(t, secretRace, workflow.Document{Request: sb.Request})

	if user, _ := secretValue(t, sb); user != "other-user" {
		t.Errorf("secret user = %q, want other-user of the hand-made secret unchanged", user)
	}
}

func TestSecretCreatedOnceRerunUpdates(t *testing.T) {
	sb := startPasswordSecret(t)
	doc := workflow.Document{Request: sb.Request}

	first, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	again, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}

	if first.Action != workflow.Created {
		t.Errorf("first action = %q, want %q", first.Action, workflow.Created)
	}
	if again.Action != workflow.Updated {
		t.Errorf("rerun action = %q, want %q", again.Action, workflow.Updated)
	}
}

// TestSecretCreatedMeanwhileKeepsOtherRenewal runs a password request's
// step while another request, whose CodeArtifact token repolink renews,
// creates the secret between the step's lookup and its create. The step
// must fail with a Conflict and leave the other request's expiry record,
// so that its token is still renewed.
func TestSecretCreatedMeanwhileKeepsOtherRenewal(t *testing.T) {
	sb := startPasswordSecret(t)
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sb.Env.Credentials = store
	other := sb.Request
	other.ID = sfsandbox.OtherRequestID
	other.Repository.Auth = request.Auth{Type: request.AuthCodeArtifact}
	record := workflow.CredentialExpiry{
		Secret:    "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		Execution: sfsandbox.OtherRequestID,
		Request:   other,
		Renewable: true,
		IssuedAt:  time.Now(),
		ExpiresAt: time.Now().Add(12 * time.Hour),
	}
	sb.CreateBefore(t, secretRace.Prefix, sfobject.WithOwner(secretRace.Create, sfsandbox.OtherRequestID))
	if err := store.Put(t.Context(), record); err != nil {
		t.Fatal(err)
	}

	_, err = Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request})

	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Fatalf("Run error = %v (%s), want a Conflict", err, name)
	}
	records, err := store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Request.ID != sfsandbox.OtherRequestID || !records[0].Renewable {
		t.Errorf("expiry records = %+v, want the other request's renewable record", records)
	}
}
