package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/repolink/repolink/functions/lambda/internal/awsenv"
	"github.com/repolink/repolink/functions/lambda/internal/invoke"
	"github.com/repolink/repolink/functions/registry"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/workflow"
)

// TestSnowflakeStepsRejectMalformedKey runs the steps that log in to
// Snowflake with a key secret that holds no PEM. No retry can fix the key,
// so each reports InvalidRequest, the error name of the same key in
// repolink up --sandbox.
func TestSnowflakeStepsRejectMalformedKey(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// The local Secrets Manager returns the same text for every secret.
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Name":"x","SecretString":"not a private key"}`)
	}))
	t.Cleanup(server.Close)
	adapters := awsenv.New(awsenv.Options{
		Region: "us-west-2",
		AWS: awsadapter.Options{
			Endpoint:    server.URL,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
			MaxAttempts: 1,
		},
	})
	t.Cleanup(adapters.Close)
	handlers := registry.Handlers(adapters.Env())
	input := marshal(t, exampleDocument(t))

	for _, step := range []string{"secret", "integration", "verification", "teardown_snowflake"} {
		t.Run(step, func(t *testing.T) {
			handler, ok := handlers[step]
			if !ok {
				t.Fatalf("registry has no step %s", step)
			}
			_, err := handler(context.Background(), input)
			if err == nil {
				t.Fatal("step succeeded, want InvalidRequest")
			}
			response := invoke.ErrorResponse(err)
			if response.Type != workflow.ErrInvalidRequest {
				t.Errorf("errorType = %q, want %q (message %q)", response.Type, workflow.ErrInvalidRequest, response.Message)
			}
			if !strings.Contains(response.Message, "$.snowflake.private_key_ref") {
				t.Errorf("errorMessage = %q, want it to name $.snowflake.private_key_ref", response.Message)
			}
			if strings.Contains(response.Message, "not a private key") {
				t.Errorf("errorMessage = %q contains the secret value", response.Message)
			}
		})
	}
}
