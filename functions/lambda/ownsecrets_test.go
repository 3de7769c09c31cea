package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/awssim"
)

// testHookKey is the HMAC key of the webhook secret in the local Secrets
// Manager.
const testHookKey = "webhook-hmac-key-value"

// startLocalSecrets starts the local AWS front end with the webhook secret,
// points the AWS SDK of this process at it, and returns the secret's ARN.
// The front end does not serve DynamoDB or Step Functions, so any call to
// them fails.
func startLocalSecrets(t *testing.T) string {
	t.Helper()
	sim, err := awssim.Start(context.Background(), awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	arn, err := sim.PutSecret("repolink/webhook-hmac", testHookKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"AWS_ENDPOINT_URL":            sim.URL(),
		"AWS_ACCESS_KEY_ID":           "AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY":       "local-secret",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(name, value)
	}
	return arn
}

// ownSecretRefs returns spellings of a reference to the secret with the
// complete ARN arn: the ARN, the partial ARN and a JSON key. The request
// check rejects a secret's name for every secret, so the name is not here.
func ownSecretRefs(arn string) []string {
	partial := arn[:len(arn)-len("-AbC123")]
	return []string{
		"aws-secretsmanager:" + arn,
		"aws-secretsmanager:" + partial,
		"aws-secretsmanager:" + arn + "#key",
	}
}

// startFunction builds the function of handler from env as the bootstrap
// does.
func startFunction(t *testing.T, env map[string]string) func(payload []byte) ([]byte, error) {
	t.Helper()
	fn, closeFn := newFunction(context.Background(), func(name string) string { return env[name] }, slog.New(slog.DiscardHandler))
	t.Cleanup(closeFn)
	return func(payload []byte) ([]byte, error) { return fn.Invoke(context.Background(), payload) }
}

// exampleWith returns the example request as a JSON object after edit.
func exampleWith(t *testing.T, edit func(doc map[string]any)) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	return doc
}

// TestWebhookRejectsOwnSecretRefs delivers signed requests whose
// token_ref names the webhook secret. The webhook reads its key through
// the AWS SDK and must return 400 naming the field before it records the
// delivery or starts an execution.
func TestWebhookRejectsOwnSecretRefs(t *testing.T) {
	arn := startLocalSecrets(t)
	invoke := startFunction(t, map[string]string{
		envHandler:          handlerWebhook,
		envRegion:           "us-west-2",
		envTable:            "rl-waits",
		envMachineARN:       "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision",
		envWebhookSecretARN: arn,
	})

	for _, ref := range ownSecretRefs(arn) {
		t.Run(ref, func(t *testing.T) {
			resp, message := deliverInvalid(t, invoke, func(doc map[string]any) {
				doc["repository"].(map[string]any)["auth"] = map[string]any{"type": "token", "token_ref": ref}
			}, "$.repository.auth.token_ref")
			if !strings.Contains(message, "reads for itself") {
				t.Errorf("message %q does not say that the secret is the deployment's own", message)
			}
			if strings.Contains(resp.Body, testHookKey) {
				t.Error("the response contains the webhook key")
			}
		})
	}
}

// TestStepRejectsOwnSecretRefs invokes the secret step, as a run started
// with StartExecution would, with a Snowflake key reference that names the
// webhook secret. The step must fail with InvalidRequest naming the field.
func TestStepRejectsOwnSecretRefs(t *testing.T) {
	arn := startLocalSecrets(t)
	invoke := startFunction(t, map[string]string{
		envHandler:          "secret",
		envRegion:           "us-west-2",
		envWebhookSecretARN: arn,
	})

	for _, ref := range ownSecretRefs(arn) {
		t.Run(ref, func(t *testing.T) {
			report := invokeInvalid(t, invoke, func(doc map[string]any) {
				doc["snowflake"].(map[string]any)["private_key_ref"] = ref
			})
			if !strings.Contains(report.Message, "snowflake.private_key_ref") || !strings.Contains(report.Message, "reads for itself") {
				t.Errorf("message %q does not name snowflake.private_key_ref as a secret of the deployment", report.Message)
			}
			if strings.Contains(report.Message, testHookKey) {
				t.Error("the error report contains the webhook key")
			}
		})
	}
}
