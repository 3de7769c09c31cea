package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/repolink/repolink/functions/lambda/internal/invoke"
)

// TestHTTPHandlersNotConfigured starts the HTTP API handlers without their
// settings. API Gateway turns a Lambda error into a generic 500, so each
// invocation returns a JSON 500 response instead and the log names the
// missing settings.
func TestHTTPHandlersNotConfigured(t *testing.T) {
	tests := []struct {
		handler   string
		wantError string
		wantLog   []string
	}{
		{handlerWebhook, "the webhook is not configured; the function log has the cause",
			[]string{"REPOLINK_DYNAMODB_TABLE is not set", "REPOLINK_STATE_MACHINE_ARN is not set", "REPOLINK_WEBHOOK_SECRET_ARN is not set"}},
		{handlerOperations, "the operations API is not configured; the function log has the cause",
			[]string{"REPOLINK_STATE_MACHINE_ARN_PROVISION is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.handler, func(t *testing.T) {
			env := map[string]string{envHandler: tt.handler, envRegion: "us-west-2"}
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			fn, closeFn := newFunction(context.Background(), func(name string) string { return env[name] }, logger)
			t.Cleanup(closeFn)
			logs.Reset()

			event, err := json.Marshal(events.APIGatewayV2HTTPRequest{RawPath: "/webhook", Body: `{}`})
			if err != nil {
				t.Fatal(err)
			}
			output, err := fn.Invoke(context.Background(), event)
			if err != nil {
				t.Fatalf("Invoke error %v, want a 500 response", err)
			}
			var response events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(output, &response); err != nil {
				t.Fatalf("output %s is not an HTTP API response: %v", output, err)
			}
			if response.StatusCode != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", response.StatusCode)
			}
			if got := response.Headers["Content-Type"]; got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			var body struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(response.Body), &body); err != nil {
				t.Fatalf("body %s is not JSON: %v", response.Body, err)
			}
			if body.Error != tt.wantError {
				t.Errorf("error = %q, want %q", body.Error, tt.wantError)
			}
			// The cause is logged on each invocation, not only when the
			// execution environment started.
			for _, want := range tt.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("invocation log %s does not contain %q", logs.String(), want)
				}
			}
			if strings.Contains(response.Body, "REPOLINK_") {
				t.Errorf("response %s names settings, which only the log may name", response.Body)
			}
		})
	}
}

func TestStepNotConfiguredFails(t *testing.T) {
	env := map[string]string{envHandler: "await_endpoint", envRegion: "us-west-2"}
	fn, closeFn := newFunction(context.Background(), func(name string) string { return env[name] }, slog.New(slog.DiscardHandler))
	t.Cleanup(closeFn)

	_, err := fn.Invoke(context.Background(), []byte(`{}`))
	if err == nil {
		t.Fatal("Invoke succeeded, want InvalidConfiguration")
	}
	response := invoke.ErrorResponse(err)
	if response.Type != errorTypeConfiguration {
		t.Errorf("errorType = %q, want %q", response.Type, errorTypeConfiguration)
	}
	if !strings.Contains(response.Message, "REPOLINK_DYNAMODB_TABLE is not set") {
		t.Errorf("errorMessage = %q, want it to name REPOLINK_DYNAMODB_TABLE", response.Message)
	}
}
