package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/lambda/internal/invoke"
	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/shared/workflow"
)

// TestHandlersDescribeUndecodableEvents sends events of the wrong JSON
// shape to each handler. The error names the JSON types and what to send,
// and none of the Go type names or decoder messages of encoding/json.
func TestHandlersDescribeUndecodableEvents(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	// Every handler fails before its first AWS call, so the endpoint is
	// never reached.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local-secret")
	const machineARN = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision"

	tests := []struct {
		name        string
		cfg         config
		event       string
		wantMessage string
	}{
		{"preflight array", config{Handler: "preflight"}, `[]`,
			"decode task input: the input is a JSON array; send a JSON object with request, resources and execution"},
		{"preflight with exclusion check", config{Handler: "preflight", ProvisionMachine: "rl-provision"}, `[]`,
			"decode task input: the input is a JSON array; send a JSON object with request, resources and execution"},
		{"step field type", config{Handler: "secret"}, `{"request": {"id": 4711}}`,
			"decode task input: the input has request.id as a JSON number, not a string"},
		{"webhook array", config{Handler: handlerWebhook, Table: "rl-waits", StateMachineARN: machineARN, WebhookSecretARN: "arn:aws:secretsmanager:us-west-2:123456789012:secret:hook-AbCdEf"}, `[]`,
			"decode API Gateway HTTP API event: the event is a JSON array; send an HTTP API event of payload format 2.0"},
		{"operations field type", config{Handler: handlerOperations, StateMachineARN: machineARN}, `{"rawPath": 7}`,
			"decode API Gateway HTTP API event: the event has rawPath as a JSON number, not a string"},
		{"notifier array", config{Handler: handlerNotifier}, `[]`,
			"notifier: decode event: the event is a JSON array; send an EventBridge event"},
		{"notifier detail", config{Handler: handlerNotifier}, `{"detail-type": "Step Functions Execution Status Change", "detail": []}`,
			"notifier: decode event: the event has detail as a JSON array, not an object"},
		{"credential event", config{Handler: handlerNotifier}, `{"detail-type": "` + notifier.CredentialEventType + `", "detail": {"secret": 7}}`,
			"notifier: decode credential event: the event has detail.secret as a JSON number, not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Region = "us-west-2"
			a, err := newApp(context.Background(), tt.cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("newApp: %v", err)
			}
			t.Cleanup(a.adapters.Close)
			handler, err := a.handler()
			if err != nil {
				t.Fatalf("handler: %v", err)
			}

			_, err = handler(context.Background(), json.RawMessage(tt.event))
			if err == nil {
				t.Fatal("handler succeeded, want InvalidRequest")
			}
			response := invoke.ErrorResponse(err)
			if response.Type != workflow.ErrInvalidRequest {
				t.Errorf("errorType = %q, want %q", response.Type, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(response.Message, tt.wantMessage) {
				t.Errorf("errorMessage = %q, want it to contain %q", response.Message, tt.wantMessage)
			}
			for _, internal := range []string{"Go value", "Go struct", "unmarshal", "workflow.", "events.", "notifier."} {
				if strings.Contains(response.Message, internal) {
					t.Errorf("errorMessage = %q contains %q", response.Message, internal)
				}
			}
		})
	}
}
