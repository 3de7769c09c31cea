package dynamo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/shared/workflow/registrytest"
)

func objectLocation(request, schema string) workflow.ObjectLocation {
	return workflow.ObjectLocation{
		Account: "myorg-analytics", Request: request, Database: "PLATFORM", Schema: schema,
		Repository: "CORP_PYPI", Secret: "CORP_PYPI_SECRET",
	}
}

func TestLocationsPutListDelete(t *testing.T) {
	store, _ := newStore(t)
	registrytest.CheckLocations(t, store.Locations())
}

func TestLocationsItemLayout(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	if err := store.Locations().Put(ctx, objectLocation("DATA-4711", "PACKAGES")); err != nil {
		t.Fatalf("Put: %v", err)
	}

	// The stack in infra/ lets the Snowflake steps reach only partition
	// keys that start with "locations#", and the records have no TTL.
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("repolink-test")})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("Scan found %d items, want 1", len(out.Items))
	}
	item := out.Items[0]
	pk, _ := item["pk"].(*types.AttributeValueMemberS)
	if pk == nil || !strings.HasPrefix(pk.Value, "locations#") {
		t.Errorf("pk = %v, want a string that starts with locations#", item["pk"])
	}
	if _, ok := item["expires_at"]; ok {
		t.Errorf("item has expires_at %v, want none", item["expires_at"])
	}
}
