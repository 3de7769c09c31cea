package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/internal/tokentest"
	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/functions/secret"
	"github.com/repolink/repolink/functions/teardownsnowflake"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

// TestCredentialExpiriesInTable runs the secret step, the poller and
// teardown_snowflake on the DynamoDB table, as the Lambda functions do, for
// a request of auth type codeartifact: the secret step records the token's
// expiry, the poller renews the token in the SECRET when less than a third
// of its lifetime is left, and teardown deletes the record.
func TestCredentialExpiriesInTable(t *testing.T) {
	server := dynamotest.Start(t)
	server.CreateTable(t, "rl-waits")
	client := server.Client()

	sb := sfsandbox.Start(t)
	sb.Request = tokentest.Request(sb.Request)
	started := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := simtest.NewClock(started)
	issuer := &tokentest.Issuer{Clock: clock}
	issuer.Env(sb.Env)
	logs := &bytes.Buffer{}
	sb.Env.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	store := dynamo.New(client, "rl-waits")
	store.Now = clock.Now
	sb.Env.Waits = store
	sb.Env.Credentials = store.Credentials()
	ctx := t.Context()

	doc := workflow.Document{Request: sb.Request, Execution: "DATA-4711-r1"}
	if _, err := secret.Run(ctx, sb.Env, doc); err != nil {
		t.Fatalf("secret step: %v", err)
	}
	records, err := sb.Env.Credentials.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || !records[0].Renewable || !records[0].ExpiresAt.Equal(started.Add(12*time.Hour)) {
		t.Fatalf("records after the secret step = %+v, want one renewable record expiring at %s", records, started.Add(12*time.Hour))
	}

	clock.Advance(8*time.Hour + time.Minute)
	report, err := (&poller.Poller{Env: sb.Env}).Poll(ctx)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if report.Renewed != 1 || report.Errors != 0 {
		t.Fatalf("Poll renewed %d with %d errors, want 1 and 0; logs:\n%s", report.Renewed, report.Errors, logs)
	}
	tokens := issuer.Tokens()
	if len(tokens) != 2 {
		t.Fatalf("%d tokens issued, want 2", len(tokens))
	}
	if got := secretPassword(t, sb); got != tokens[1] {
		t.Error("the SECRET does not hold the renewed token")
	}
	records, err = sb.Env.Credentials.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(12 * time.Hour); len(records) != 1 || !records[0].ExpiresAt.Equal(want) {
		t.Errorf("records after the poll = %+v, want one expiring at %s", records, want)
	}

	// No token reaches the table or the logs.
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String("rl-waits"),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "credential#expiries"}},
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	for _, token := range tokens {
		for _, item := range out.Items {
			for name, value := range item {
				if s, ok := value.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, token) {
					t.Errorf("attribute %s of a credential item contains a token", name)
				}
			}
		}
		if strings.Contains(logs.String(), token) {
			t.Error("a token is in the logs")
		}
	}

	if _, err := teardownsnowflake.Run(ctx, sb.Env, doc); err != nil {
		t.Fatalf("teardown_snowflake: %v", err)
	}
	records, err = sb.Env.Credentials.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 0 {
		t.Errorf("records after teardown = %+v, want none", records)
	}
}

// secretPassword returns the password in the request's SECRET.
func secretPassword(t *testing.T, sb *sfsandbox.Sandbox) string {
	t.Helper()
	account, err := sb.Server.Snapshot(sb.Request.Snowflake.Account)
	if err != nil {
		t.Fatal(err)
	}
	name := workflow.NamesFor(sb.Request).Secret
	for secretName, s := range account.Databases["PLATFORM"].Schemas["PACKAGES"].Secrets {
		if strings.EqualFold(secretName, name) {
			password, _, err := sb.Server.OpenSecret(s)
			if err != nil {
				t.Fatal(err)
			}
			return password
		}
	}
	t.Fatalf("secret %s not found", name)
	return ""
}

func TestNewAppCredentialExpiries(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)

	for _, handler := range []string{"preflight", "secret", "teardown_snowflake", handlerPoller} {
		a, err := newApp(context.Background(), config{Handler: handler, Region: "us-west-2", Table: "rl-waits"}, logger)
		if err != nil {
			t.Fatalf("newApp(%s): %v", handler, err)
		}
		env := a.adapters.Env()
		if _, ok := env.Credentials.(*dynamo.CredentialStore); !ok {
			t.Errorf("%s: Credentials with a table is %T, want *dynamo.CredentialStore", handler, env.Credentials)
		}
		if env.CodeArtifact == nil {
			t.Errorf("%s: Env has no CodeArtifact client", handler)
		}
	}

	withoutTable, err := newApp(context.Background(), config{Handler: "secret", Region: "us-west-2"}, logger)
	if err != nil {
		t.Fatalf("newApp without a table: %v", err)
	}
	if got := withoutTable.adapters.Env().Credentials; got != nil {
		t.Errorf("Credentials without a table is %T, want nil", got)
	}
}
