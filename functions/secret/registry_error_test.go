package secret

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// failingDynamoDB returns a DynamoDB credential registry whose every call
// gets the HTTP status and the JSON error of type errorType from a local
// server, as DynamoDB sends them.
func failingDynamoDB(t *testing.T, status int, errorType, message string) workflow.CredentialRegistry {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, errorType, message)
	}))
	t.Cleanup(server.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	})
	return dynamo.New(client, "repolink-test").Credentials()
}

// TestRegistryErrorNames checks that each registry call of the secret step
// fails at once on a missing IAM grant or an invalid request, and stays
// retryable on throttling and server errors.
func TestRegistryErrorNames(t *testing.T) {
	const denied = "User: arn:aws:sts::123456789012:assumed-role/repolink-steps/secret is not authorized to perform: " +
		"dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/repolink-test because no identity-based policy allows the dynamodb:GetItem action"
	errorCases := []struct {
		name      string
		status    int
		errorType string
		message   string
		want      string
		// mentions are the parts of the message that tell the operator what
		// to change.
		mentions []string
	}{
		{"access denied", 400, "AccessDeniedException", denied, workflow.ErrPermissionDenied,
			[]string{"dynamodb:GetItem", "repolink-test", "credential#expiries", "dynamodb:LeadingKeys"}},
		{"validation", 400, "ValidationException", "One or more parameter values were invalid", workflow.ErrInvalidRequest,
			[]string{"ValidationException", "repolink-test"}},
		{"throttling", 400, "ThrottlingException", "Rate of requests exceeds the allowed throughput", workflow.ErrThrottled, nil},
		{"server error", 500, "InternalServerError", "Internal server error", workflow.ErrTransient, nil},
	}

	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	expiry := workflow.CredentialExpiry{
		Secret:    "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		Execution: "DATA-4711-r1",
		Request:   request.Request{ID: "DATA-4711", Snowflake: request.Snowflake{Account: "myorg-analytics"}},
		Renewable: true,
		IssuedAt:  now,
		ExpiresAt: now.Add(12 * time.Hour),
	}
	calls := map[string]func(ctx context.Context, env *workflow.Env) error{
		"awaitRenewal": func(ctx context.Context, env *workflow.Env) error {
			_, err := awaitRenewal(ctx, env, expiry.Key())
			return err
		},
		"stopRenewal": func(ctx context.Context, env *workflow.Env) error {
			return stopRenewal(ctx, env, expiry.Key())
		},
		"storeRenewable": func(ctx context.Context, env *workflow.Env) error {
			return storeRenewable(ctx, env, expiry, nil)
		},
		"recordExpiry": func(ctx context.Context, env *workflow.Env) error {
			return recordExpiry(ctx, env, expiry)
		},
		"forgetExpiry": func(ctx context.Context, env *workflow.Env) error {
			return forgetExpiry(ctx, env, expiry.Key())
		},
	}

	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			env := &workflow.Env{
				Credentials: failingDynamoDB(t, tc.status, tc.errorType, tc.message),
				Now:         func() time.Time { return now },
			}
			for call, run := range calls {
				err := run(t.Context(), env)
				if err == nil {
					t.Errorf("%s: error = nil, want %s", call, tc.want)
					continue
				}
				if got := workflow.NameOf(err); got != tc.want {
					t.Errorf("%s: error %q named %q, want %q", call, err, got, tc.want)
				}
				for _, part := range tc.mentions {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("%s: error %q does not mention %q", call, err, part)
					}
				}
			}
		})
	}
}
