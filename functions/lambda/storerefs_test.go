package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// allowedRefs allows the secrets under repolink/ in the example account.
const allowedRefs = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/*"

// unlistedRef is a secret outside allowedRefs.
const unlistedRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:platform/snowflake-key"

// deliver signs body with the webhook key, sends it to the webhook
// function as API Gateway does, and returns the response.
func deliver(t *testing.T, invoke func([]byte) ([]byte, error), body []byte) (events.APIGatewayV2HTTPResponse, webhook.Response) {
	t.Helper()
	header := http.Header{}
	webhook.SetSignature(header, []byte(testHookKey), time.Now(), body)
	event := marshal(t, events.APIGatewayV2HTTPRequest{
		Version: "2.0",
		RawPath: "/webhook",
		Headers: map[string]string{
			"content-type":         "application/json",
			"x-repolink-timestamp": header.Get(webhook.HeaderTimestamp),
			"x-repolink-signature": header.Get(webhook.HeaderSignature),
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/webhook"},
		},
		Body: string(body),
	})
	out, err := invoke(event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("output %s is not an HTTP API response: %v", out, err)
	}
	var got webhook.Response
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	return resp, got
}

// TestWebhookRejectsUnlistedSecretRef delivers signed requests with a
// reference outside REPOLINK_ALLOW_SECRET_REFS. The webhook must return 400
// naming the field and the setting before it records the delivery.
func TestWebhookRejectsUnlistedSecretRef(t *testing.T) {
	arn := startLocalSecrets(t)
	invoke := startFunction(t, map[string]string{
		envHandler:          handlerWebhook,
		envRegion:           "us-west-2",
		envTable:            "rl-waits",
		envMachineARN:       "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
		envWebhookSecretARN: arn,
		envAllowSecretRefs:  allowedRefs,
	})

	tests := []struct {
		name  string
		edit  func(doc map[string]any)
		field string
	}{
		{"index token", func(doc map[string]any) {
			doc["repository"].(map[string]any)["auth"] = map[string]any{"type": "token", "token_ref": unlistedRef}
		}, "$.repository.auth.token_ref"},
		{"Snowflake key", func(doc map[string]any) {
			doc["snowflake"].(map[string]any)["private_key_ref"] = unlistedRef
		}, "$.snowflake.private_key_ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, message := deliverInvalid(t, invoke, tt.edit, tt.field)
			if !strings.Contains(message, envAllowSecretRefs) {
				t.Errorf("message %q does not name %s", message, envAllowSecretRefs)
			}
		})
	}
}

// TestStepRejectsUnlistedSecretRef invokes the secret step, as a run
// started with StartExecution would, with a Snowflake key outside
// REPOLINK_ALLOW_SECRET_REFS. The step must fail with InvalidRequest
// before it reads the secret.
func TestStepRejectsUnlistedSecretRef(t *testing.T) {
	startLocalSecrets(t)
	invoke := startFunction(t, map[string]string{
		envHandler:         "secret",
		envRegion:          "us-west-2",
		envAllowSecretRefs: allowedRefs,
	})
	report := invokeInvalid(t, invoke, func(doc map[string]any) {
		doc["snowflake"].(map[string]any)["private_key_ref"] = unlistedRef
	})
	if !strings.Contains(report.Message, "snowflake.private_key_ref") || !strings.Contains(report.Message, envAllowSecretRefs) {
		t.Errorf("message %q does not name snowflake.private_key_ref and %s", report.Message, envAllowSecretRefs)
	}
}

// deliverInvalid delivers the example request after edit to the webhook
// function and returns the response and the message of its field error. It
// fails t unless the webhook returns 400 with one field error on field.
func deliverInvalid(t *testing.T, invoke func([]byte) ([]byte, error), edit func(doc map[string]any), field string) (events.APIGatewayV2HTTPResponse, string) {
	t.Helper()
	body, err := json.Marshal(exampleWith(t, edit))
	if err != nil {
		t.Fatal(err)
	}
	resp, got := deliver(t, invoke, body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400 (body %s)", resp.StatusCode, resp.Body)
	}
	if len(got.Errors) != 1 || got.Errors[0].Path != field {
		t.Fatalf("field errors = %+v, want one for %s", got.Errors, field)
	}
	return resp, got.Errors[0].Message
}

// invokeInvalid invokes a step function with the example request after
// edit and returns the Lambda error report. It fails t unless the step
// fails with InvalidRequest.
func invokeInvalid(t *testing.T, invoke func([]byte) ([]byte, error), edit func(doc map[string]any)) messages.InvokeResponse_Error {
	t.Helper()
	data, err := json.Marshal(exampleWith(t, edit))
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}

	_, err = invoke(marshal(t, workflow.Document{Request: req}))
	var report messages.InvokeResponse_Error
	if !errors.As(err, &report) {
		t.Fatalf("invoke error = %v, want a Lambda error report", err)
	}
	if report.Type != workflow.ErrInvalidRequest {
		t.Errorf("error type = %q, want %s (message %q)", report.Type, workflow.ErrInvalidRequest, report.Message)
	}
	return report
}
