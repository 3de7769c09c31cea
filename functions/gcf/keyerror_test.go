package gcf

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/workflow"
)

// TestSnowflakeStepsRejectMalformedKey runs the steps that log in to
// Snowflake with a key secret that holds no PEM. No retry can fix the key,
// so each returns 400 with InvalidRequest, the error name of the same key
// in repolink up --sandbox.
func TestSnowflakeStepsRejectMalformedKey(t *testing.T) {
	a := newAdapters(slog.New(slog.DiscardHandler), gcpadapter.Options{}, stores{})
	// A stand-in Secret Manager that returns the same text for every
	// secret.
	a.secrets.Register(gcpadapter.SecretManagerScheme, secrets.StoreFunc(func(context.Context, string) (string, error) {
		return "not a private key", nil
	}))
	var doc workflow.Document
	if err := json.Unmarshal(connectionInput(t), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Request.Snowflake.PrivateKeyRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/snowflake-key"
	doc.Request.Repository.Auth.PasswordRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/index-password"
	input, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	handlers := newHandlers(a.env(), slog.New(slog.DiscardHandler))

	for _, step := range []string{"secret", "integration", "verification", "teardown_snowflake"} {
		t.Run(step, func(t *testing.T) {
			handler, ok := handlers[step]
			if !ok {
				t.Fatalf("no handler for step %s", step)
			}
			server := httptest.NewServer(handler)
			t.Cleanup(server.Close)

			status, body := post(t, server.URL, input)
			if status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400 (body %s)", status, body)
			}
			var failure Failure
			if err := json.Unmarshal(body, &failure); err != nil {
				t.Fatalf("body %s is not a failure: %v", body, err)
			}
			if failure.Error != workflow.ErrInvalidRequest {
				t.Errorf("error = %q, want %q (cause %q)", failure.Error, workflow.ErrInvalidRequest, failure.Cause)
			}
			if !strings.Contains(failure.Cause, "$.snowflake.private_key_ref") {
				t.Errorf("cause %q does not name $.snowflake.private_key_ref", failure.Cause)
			}
			if strings.Contains(string(body), "not a private key") {
				t.Errorf("response %s contains the secret value", body)
			}
		})
	}
}
