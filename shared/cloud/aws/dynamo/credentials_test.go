package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func expiry(account, secret string, expiresAt time.Time) workflow.CredentialExpiry {
	return workflow.CredentialExpiry{
		Secret:    secret,
		Execution: "DATA-4711-r1",
		Request: request.Request{
			ID:        "DATA-4711",
			Snowflake: request.Snowflake{Account: account, User: "REPOLINK_SVC"},
			Repository: request.Repository{
				IndexURL: "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/",
				Auth:     request.Auth{Type: request.AuthCodeArtifact},
			},
		},
		Renewable: true,
		IssuedAt:  expiresAt.Add(-12 * time.Hour),
		ExpiresAt: expiresAt.UTC(),
	}
}

func TestCredentialsPutListDelete(t *testing.T) {
	store, _ := newStore(t)
	credentials := store.Credentials()
	ctx := context.Background()

	later := expiry("myorg-analytics", "PLATFORM.PACKAGES.RL_B", epoch.Add(2*time.Hour))
	sooner := expiry("myorg-analytics", "PLATFORM.PACKAGES.RL_A", epoch.Add(time.Hour))
	// The sort key holds a hash, so names longer than DynamoDB's
	// 1,024-byte sort key limit still work.
	long := expiry("myorg-analytics", strings.Repeat("S", 2000), epoch.Add(3*time.Hour))
	for _, c := range []workflow.CredentialExpiry{later, sooner, long} {
		if err := credentials.Put(ctx, c); err != nil {
			t.Fatalf("Put(%.30s): %v", c.Secret, err)
		}
	}

	got, err := credentials.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.CredentialExpiry{sooner, later, long}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	if err := credentials.Delete(ctx, sooner.Key()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := credentials.Delete(ctx, sooner.Key()); err != nil {
		t.Errorf("Delete of a missing record: %v, want nil", err)
	}
	got, err = credentials.List(ctx)
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if diff := cmp.Diff([]workflow.CredentialExpiry{later, long}, got); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
}

func TestCredentialsPutReplaces(t *testing.T) {
	store, _ := newStore(t)
	credentials := store.Credentials()
	ctx := context.Background()

	first := expiry("myorg-analytics", "PLATFORM.PACKAGES.RL_A", epoch.Add(time.Hour))
	if err := credentials.Put(ctx, first); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// The account is part of the key without case, like Snowflake
	// account identifiers, so this is the same record.
	renewed := expiry("MYORG-ANALYTICS", "PLATFORM.PACKAGES.RL_A", epoch.Add(13*time.Hour))
	renewed.WarnedAt = epoch
	if err := credentials.Put(ctx, renewed); err != nil {
		t.Fatalf("Put again: %v", err)
	}

	got, err := credentials.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.CredentialExpiry{renewed}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestCredentialsKeptApartFromWaits(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	if err := store.Put(ctx, wait("token-a", epoch.Add(time.Hour))); err != nil {
		t.Fatalf("Put wait: %v", err)
	}
	if err := store.Credentials().Put(ctx, expiry("myorg-analytics", "PLATFORM.PACKAGES.RL_A", epoch.Add(time.Hour))); err != nil {
		t.Fatalf("Put credential expiry: %v", err)
	}

	waits, err := store.List(ctx)
	if err != nil {
		t.Fatalf("List waits: %v", err)
	}
	if len(waits) != 1 {
		t.Errorf("List waits returned %d, want 1", len(waits))
	}
	records, err := store.Credentials().List(ctx)
	if err != nil {
		t.Fatalf("List credential expiries: %v", err)
	}
	if len(records) != 1 {
		t.Errorf("List credential expiries returned %d, want 1", len(records))
	}
}

func TestCredentialsItemLayout(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	c := expiry("myorg-analytics", "PLATFORM.PACKAGES.RL_A", epoch.Add(12*time.Hour))
	if err := store.Credentials().Put(ctx, c); err != nil {
		t.Fatalf("Put: %v", err)
	}

	// The stack in infra/ lets the roles that write these items reach only
	// the partition key "credential#expiries".
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String("repolink-test"),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "credential#expiries"}},
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("Query returned %d items, want 1", len(out.Items))
	}
	item := out.Items[0]
	if sk, _ := item["sk"].(*types.AttributeValueMemberS); sk == nil || !strings.HasPrefix(sk.Value, "secret#") {
		t.Errorf("sk = %v, want secret#<hash>", item["sk"])
	}
	want := fmt.Sprint(c.ExpiresAt.Add(dynamo.DefaultCredentialRetention).Unix())
	got, ok := item["expires_at"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("expires_at is %T, want a number", item["expires_at"])
	}
	if got.Value != want {
		t.Errorf("expires_at = %s, want %s (credential expiry plus retention)", got.Value, want)
	}
}
