package gcf

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// TestStepDescribesUndecodableInput posts task inputs of the wrong JSON
// shape to the preflight function. The cause names the JSON types and what
// to send, and none of the Go type names of encoding/json.
func TestStepDescribesUndecodableInput(t *testing.T) {
	a := newAdapters(slog.New(slog.DiscardHandler), gcpadapter.Options{}, stores{})
	server := httptest.NewServer(newHandlers(a.env(), slog.New(slog.DiscardHandler))["preflight"])
	t.Cleanup(server.Close)

	tests := []struct {
		name      string
		input     string
		wantCause string
	}{
		{"array", `[]`, "preflight: decode task input: the input is a JSON array; send a JSON object with request, resources and execution"},
		{"field type", `{"request": {"route": ["gcp-privatelink"]}}`, "the input has request.route as a JSON array, not a string"},
		{"not JSON", `{"request": `, "the input is not valid JSON at byte 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, server.URL, []byte(tt.input))
			if status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400 (body %s)", status, body)
			}
			var failure Failure
			if err := json.Unmarshal(body, &failure); err != nil {
				t.Fatalf("body %s is not a failure: %v", body, err)
			}
			if failure.Error != workflow.ErrInvalidRequest {
				t.Errorf("error = %q, want %q", failure.Error, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(failure.Cause, tt.wantCause) {
				t.Errorf("cause = %q, want it to contain %q", failure.Cause, tt.wantCause)
			}
			for _, internal := range []string{"Go value", "unmarshal", "workflow.plain", "unexpected end"} {
				if strings.Contains(failure.Cause, internal) {
					t.Errorf("cause = %q contains %q", failure.Cause, internal)
				}
			}
		})
	}
}
