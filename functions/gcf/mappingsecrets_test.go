package gcf

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/workflow"
)

// mappingSnowflakeKeyRef is the Snowflake key of the request in
// jiraMapping, which is that of examples/gcp-privatelink.json.
const mappingSnowflakeKeyRef = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-snowflake-key"

// allProjectSecrets allows every secret of the example project, so that
// only the deployment's own secrets are rejected.
const allProjectSecrets = "gcp-secretmanager:projects/corp-packages-prod/secrets/*"

// mappingAdapters returns the adapters of a deployment that serves the Jira
// and ServiceNow mappings of the webhook tests.
func mappingAdapters(t *testing.T) *adapters {
	t.Helper()
	env := map[string]string{envJiraMapping: jiraMapping(t), envServiceNowMapping: serviceNowMapping(t)}
	mappings := loadMappingSecrets(func(name string) string { return env[name] })
	if mappings.err != nil {
		t.Fatal(mappings.err)
	}
	a := newAdapters(slog.New(slog.DiscardHandler), gcpadapter.Options{},
		stores{signingSecret: testKeyRef, secretRefs: allProjectSecrets, mappings: mappings})
	useStandInStore(a)
	return a
}

// useStandInStore makes a's resolver read gcp-secretmanager: references
// from a stand-in store, so that a reference that the allow list lets
// through never reaches Secret Manager or looks for credentials.
func useStandInStore(a *adapters) {
	a.secrets.Register(gcpadapter.SecretManagerScheme, secrets.StoreFunc(func(context.Context, string) (string, error) {
		return "stand-in-value", nil
	}))
}

// parseExample returns examples/gcp-privatelink.json with change applied.
func parseExample(t *testing.T, change func(doc map[string]any)) request.Request {
	t.Helper()
	req, err := request.Parse(exampleRequest(t, change))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// setIndexPassword returns a change that sets the index password reference.
// The request's own Snowflake key becomes another secret, so that request
// validation leaves a reference to the mapping's key to the allow list.
func setIndexPassword(ref string) func(doc map[string]any) {
	return func(doc map[string]any) {
		doc["repository"].(map[string]any)["auth"].(map[string]any)["password_ref"] = ref
		doc["snowflake"].(map[string]any)["private_key_ref"] = "gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-team-key"
	}
}

func TestRequestsRejectMappingSecrets(t *testing.T) {
	a := mappingAdapters(t)
	tests := []struct {
		name   string
		change func(doc map[string]any)
		path   string
		reason string
	}{
		{"Jira HMAC secret", setIndexPassword(testJiraKeyRef),
			"$.repository.auth.password_ref", "reads for itself"},
		{"Jira HMAC secret in another version", setIndexPassword("gcp-secretmanager:projects/corp-packages-prod/secrets/repolink-jira"),
			"$.repository.auth.password_ref", "reads for itself"},
		{"ServiceNow token", func(doc map[string]any) {
			doc["repository"].(map[string]any)["auth"] = map[string]any{"type": "token", "token_ref": testServiceNowTokenRef}
		}, "$.repository.auth.token_ref", "reads for itself"},
		{"ServiceNow signature key", setIndexPassword(testServiceNowMACKeyRef),
			"$.repository.auth.password_ref", "reads for itself"},
		{"Jira HMAC secret as Snowflake key", func(doc map[string]any) {
			doc["snowflake"].(map[string]any)["private_key_ref"] = testJiraKeyRef
		}, "$.snowflake.private_key_ref", "reads for itself"},
		{"mapping Snowflake key", setIndexPassword(mappingSnowflakeKeyRef + "/versions/3"),
			"$.repository.auth.password_ref", "Snowflake credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := a.requests.FieldErrors(parseExample(t, tt.change), localRefFix)
			if len(fields) != 1 {
				t.Fatalf("field errors = %+v, want one on %s", fields, tt.path)
			}
			if fields[0].Path != tt.path {
				t.Errorf("field error path = %s, want %s", fields[0].Path, tt.path)
			}
			if !strings.Contains(fields[0].Message, tt.reason) {
				t.Errorf("message %q does not say %q", fields[0].Message, tt.reason)
			}
		})
	}
}

func TestRequestsAllowMappingSnowflakeKey(t *testing.T) {
	a := mappingAdapters(t)
	// The example request names the mapping's Snowflake key in
	// $.snowflake, where a request may use it.
	if fields := a.requests.FieldErrors(parseExample(t, nil), localRefFix); len(fields) != 0 {
		t.Errorf("field errors = %+v, want none", fields)
	}
}

func TestStepsRejectMappingSecrets(t *testing.T) {
	a := mappingAdapters(t)
	for _, ref := range []string{testJiraKeyRef, testServiceNowTokenRef, testServiceNowMACKeyRef} {
		_, err := a.env().Secrets.Resolve(context.Background(), ref)
		var own *secrets.OwnSecretError
		if !errors.As(err, &own) {
			t.Errorf("Resolve(%s) = %v, want a *secrets.OwnSecretError", ref, err)
			continue
		}
		if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
			t.Errorf("Resolve(%s): error name = %s, want %s", ref, got, workflow.ErrInvalidRequest)
		}
	}
}

// TestUnreadableMappingRejectsStoreRefs checks that a deployment whose
// mapping file cannot be read fails closed: it cannot tell which secrets
// the webhook reads, so it rejects every secret store reference.
func TestUnreadableMappingRejectsStoreRefs(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "jira-mapping.json")
	mappings := loadMappingSecrets(func(name string) string {
		if name == envJiraMapping {
			return missing
		}
		return ""
	})
	if mappings.err == nil {
		t.Fatal("loadMappingSecrets with a missing file: no error")
	}
	a := newAdapters(slog.New(slog.DiscardHandler), gcpadapter.Options{}, stores{mappings: mappings})
	useStandInStore(a)

	fields := a.requests.FieldErrors(parseExample(t, nil), localRefFix)
	if len(fields) != 2 {
		t.Fatalf("field errors = %+v, want one on each of the 2 references", fields)
	}
	for _, field := range fields {
		if !strings.Contains(field.Message, envJiraMapping) {
			t.Errorf("message %q does not name %s", field.Message, envJiraMapping)
		}
	}
	_, err := a.env().Secrets.Resolve(context.Background(), mappingSnowflakeKeyRef)
	var notAllowed *secrets.StoreRefNotAllowedError
	if !errors.As(err, &notAllowed) {
		t.Errorf("Resolve(%s) = %v, want a *secrets.StoreRefNotAllowedError", mappingSnowflakeKeyRef, err)
	}
}

func TestWebhookRejectsMappingSecrets(t *testing.T) {
	server, workflows := newTestWebhook(t, map[string]string{envJiraMapping: jiraMapping(t)})
	for _, ref := range []string{testJiraKeyRef, mappingSnowflakeKeyRef} {
		status, out := postSigned(t, server, testWebhookKey, exampleRequest(t, setIndexPassword(ref)))
		if status != http.StatusBadRequest {
			t.Errorf("password_ref %s: status = %d (%+v), want 400", ref, status, out)
			continue
		}
		if len(out.Errors) != 1 || out.Errors[0].Path != "$.repository.auth.password_ref" {
			t.Errorf("password_ref %s: field errors = %+v, want one on $.repository.auth.password_ref", ref, out.Errors)
		}
	}
	if n := len(workflows.started()); n != 0 {
		t.Errorf("%d executions started, want 0", n)
	}
}
