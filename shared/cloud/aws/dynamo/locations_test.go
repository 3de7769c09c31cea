package dynamo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

func objectLocation(request, schema string) workflow.ObjectLocation {
	return workflow.ObjectLocation{
		Account: "myorg-analytics", Request: request, Database: "PLATFORM", Schema: schema,
		Repository: "CORP_PYPI", Secret: "CORP_PYPI_SECRET",
	}
}

func TestLocationsPutListDelete(t *testing.T) {
	store, _ := newStore(t)
	locations := store.Locations()
	ctx := context.Background()

	packages := objectLocation("DATA-4711", "PACKAGES")
	staging := objectLocation("DATA-4711", "STAGING")
	// The sort key holds a hash, so names longer than DynamoDB's
	// 1,024-byte sort key limit still work.
	long := objectLocation("DATA-4711", strings.Repeat("S", 2000))
	other := objectLocation("DATA-4712", "PACKAGES")
	for _, l := range []workflow.ObjectLocation{packages, staging, long, other, packages} {
		if err := locations.Put(ctx, l); err != nil {
			t.Fatalf("Put(%.40s): %v", l.Key(), err)
		}
	}

	got, err := locations.List(ctx, "DATA-4711")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{packages, long, staging}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	if err := locations.Delete(ctx, packages); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := locations.Delete(ctx, packages); err != nil {
		t.Errorf("Delete of a missing record: %v, want nil", err)
	}
	got, err = locations.List(ctx, "DATA-4711")
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{long, staging}, got); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
	got, err = locations.List(ctx, "DATA-4712")
	if err != nil {
		t.Fatalf("List of another request: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{other}, got); diff != "" {
		t.Errorf("List of another request (-want +got):\n%s", diff)
	}
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
