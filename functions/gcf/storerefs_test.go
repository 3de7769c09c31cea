package gcf

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/workflow"
)

// allowedSecretRefs allows the secrets of the example project whose IDs
// start with repolink-.
const allowedSecretRefs = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-*"

// wholeSecretRef is a whole reference without a version, as an entry of
// REPOLINK_ALLOW_SECRET_REFS.
const wholeSecretRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index-password"

// unlistedSecretRef is a secret outside allowedSecretRefs.
const unlistedSecretRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/platform-snowflake-key"

func TestWebhookRejectsUnlistedSecretRef(t *testing.T) {
	server, workflows := newTestWebhook(t, map[string]string{envAllowSecretRefs: allowedSecretRefs})
	tests := []struct {
		name  string
		edit  func(doc map[string]any)
		field string
	}{
		{"index password", func(doc map[string]any) {
			doc["repository"].(map[string]any)["auth"].(map[string]any)["password_ref"] = unlistedSecretRef
		}, "$.repository.auth.password_ref"},
		{"Snowflake key", func(doc map[string]any) {
			doc["snowflake"].(map[string]any)["private_key_ref"] = unlistedSecretRef + "/versions/2"
		}, "$.snowflake.private_key_ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, tt.edit))
			if status != http.StatusBadRequest {
				t.Fatalf("status = %d (%+v), want 400", status, out)
			}
			if len(out.Errors) != 1 || out.Errors[0].Path != tt.field {
				t.Fatalf("field errors = %+v, want one on %s", out.Errors, tt.field)
			}
			if !strings.Contains(out.Errors[0].Message, envAllowSecretRefs) {
				t.Errorf("message %q does not name %s", out.Errors[0].Message, envAllowSecretRefs)
			}
		})
	}
	if n := len(workflows.started()); n != 0 {
		t.Errorf("%d executions started, want 0", n)
	}
}

// TestStepsRejectUnlistedSecretRef checks the resolver of the steps, which
// reads a request's references in an execution that no webhook checked.
// An invalid list rejects every secret store reference.
func TestStepsRejectUnlistedSecretRef(t *testing.T) {
	tests := []struct {
		name, list, ref string
		want            bool
	}{
		{"listed", allowedSecretRefs, "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index", true},
		{"unlisted", allowedSecretRefs, unlistedSecretRef, false},
		{"no list", "", unlistedSecretRef, true},
		{"invalid list", "env:INDEX_TOKEN", "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index", false},
		{"scheme-only list", "gcp-secretmanager:", "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index", false},
		{"list with an empty entry", allowedSecretRefs + ",", "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-index", false},
		{"whole reference in another version", wholeSecretRef, wholeSecretRef + "/versions/3", true},
		{"whole reference by project number", wholeSecretRef, "gcp-secretmanager:projects/987654321/secrets/repolink-index-password", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdapters(slog.New(slog.DiscardHandler), gcpadapter.Options{}, stores{secretRefs: tt.list})
			// A stand-in store, so that an allowed reference reads without
			// Secret Manager.
			a.secrets.Register(gcpadapter.SecretManagerScheme, secrets.StoreFunc(func(context.Context, string) (string, error) {
				return "index-token-value", nil
			}))
			_, err := a.env().Secrets.Resolve(context.Background(), tt.ref)
			if tt.want {
				if err != nil {
					t.Errorf("Resolve(%s) = %v, want nil", tt.ref, err)
				}
				return
			}
			var notAllowed *secrets.StoreRefNotAllowedError
			if !errors.As(err, &notAllowed) {
				t.Fatalf("Resolve(%s) = %v, want a *secrets.StoreRefNotAllowedError", tt.ref, err)
			}
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Errorf("error name = %s, want %s", got, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(err.Error(), envAllowSecretRefs) {
				t.Errorf("error %q does not name %s", err, envAllowSecretRefs)
			}
		})
	}
}
