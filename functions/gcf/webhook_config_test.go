package gcf

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookLogsEveryProblem starts the webhook with several invalid
// settings. The first delivery's log names each of them, so that one
// deployment fixes them all, and the key is not read while a setting is
// invalid.
func TestWebhookLogsEveryProblem(t *testing.T) {
	env := map[string]string{
		envSigningSecret: "env:FOO",
		envWorkflow:      "bad",
		envJiraMapping:   filepath.Join(t.TempDir(), "missing-mapping.json"),
	}
	var logs bytes.Buffer
	service := &webhookService{deps: webhookDeps{
		getenv: func(name string) string { return env[name] },
		resolve: func(context.Context, string) (string, error) {
			t.Error("the webhook read its key although its settings are invalid")
			return "", nil
		},
		logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}}
	server := httptest.NewServer(service)
	t.Cleanup(server.Close)

	req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/requests", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	status, out := send(t, req)
	if status != http.StatusInternalServerError {
		t.Errorf("status = %d (%+v), want 500", status, out)
	}
	for _, want := range []string{
		envSigningSecret + " must be gcp-secretmanager:",
		envWorkflow + `=\"bad\" is not a workflow name`,
		envWaitsCollection + " is not set",
		envJiraMapping + ": jira mapping",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %s does not contain %q", logs.String(), want)
		}
	}
}
