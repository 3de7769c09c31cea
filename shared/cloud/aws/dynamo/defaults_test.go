package dynamo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/shared/workflow/claimtest"
	"github.com/repolink/repolink/shared/workflow/registrytest"
)

func defaultSetting(level, target string) workflow.DefaultSetting {
	return workflow.DefaultSetting{
		Account: "myorg-analytics", Request: "DATA-4711", Level: level,
		Database: "PLATFORM", Schema: "PACKAGES", Target: target,
		Repository: "PLATFORM.PACKAGES.CORP_PYPI",
	}
}

func TestDefaultsPutListDelete(t *testing.T) {
	store, _ := newStore(t)
	registrytest.CheckDefaults(t, store.Defaults())
}

func TestDefaultsItemLayout(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	if err := store.Defaults().Put(ctx, defaultSetting("schema", "SCHEMA PLATFORM.PACKAGES")); err != nil {
		t.Fatalf("Put: %v", err)
	}

	// The stack in infra/ lets the roles that write these items reach only
	// the partition key "default#levels".
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String("repolink-test"),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "default#levels"}},
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("Query returned %d items, want 1", len(out.Items))
	}
	item := out.Items[0]
	if sk, _ := item["sk"].(*types.AttributeValueMemberS); sk == nil || !strings.HasPrefix(sk.Value, "target#") {
		t.Errorf("sk = %v, want target#<hash>", item["sk"])
	}
	if _, ok := item["expires_at"]; ok {
		t.Errorf("expires_at = %v, want none, because teardown deletes the record", item["expires_at"])
	}
}

// TestDefaultClaims checks the claims on dynalite through two clients, and
// that List returns the records without the claims beside them.
func TestDefaultClaims(t *testing.T) {
	store, client := newStore(t)
	other := dynamo.New(client, "repolink-test")
	claimtest.Check(t, store.Defaults(), other.Defaults())

	record := defaultSetting("schema", "SCHEMA PLATFORM.PACKAGES")
	if err := store.Defaults().Put(context.Background(), record); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := store.Defaults().List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.DefaultSetting{record}, got); diff != "" {
		t.Errorf("List beside a claim (-want +got):\n%s", diff)
	}
}
