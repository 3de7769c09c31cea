package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/webhook"
)

func TestReplayReserveSettleRelease(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	until := epoch.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	if _, reserved, err := store.ReserveReplay(ctx, "DATA-1", "kA", until); err != nil || !reserved {
		t.Fatalf("first reserve = %t, %v; want reserved", reserved, err)
	}
	execution, reserved, err := store.ReserveReplay(ctx, "DATA-1", "kA", until)
	if err != nil || reserved || execution != "" {
		t.Errorf("reserve while pending = %q, %t, %v; want no execution and not reserved", execution, reserved, err)
	}
	if err := store.SettleReplay(ctx, "DATA-1", "kA", "DATA-1-r2"); err != nil {
		t.Fatal(err)
	}
	execution, reserved, err = store.ReserveReplay(ctx, "DATA-1", "kA", until)
	if err != nil || reserved || execution != "DATA-1-r2" {
		t.Errorf("reserve after settle = %q, %t, %v; want DATA-1-r2 and not reserved", execution, reserved, err)
	}
	if err := store.ReleaseReplay(ctx, "DATA-1", "kA"); err != nil {
		t.Fatal(err)
	}
	if _, reserved, _ := store.ReserveReplay(ctx, "DATA-1", "kA", until); reserved {
		t.Error("release of a settled record made it free; a settled record must stay until it expires")
	}

	// A delivery that started nothing releases its key at once.
	if _, reserved, err := store.ReserveReplay(ctx, "DATA-1", "kB", until); err != nil || !reserved {
		t.Fatalf("reserve kB = %t, %v; want reserved", reserved, err)
	}
	if err := store.ReleaseReplay(ctx, "DATA-1", "kB"); err != nil {
		t.Fatal(err)
	}
	if _, reserved, err := store.ReserveReplay(ctx, "DATA-1", "kB", until); err != nil || !reserved {
		t.Errorf("reserve after release = %t, %v; want reserved", reserved, err)
	}
}

func TestReplayRecordsExpire(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	until := epoch.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	if _, _, err := store.ReserveReplay(ctx, "DATA-1", "kA", until); err != nil {
		t.Fatal(err)
	}
	if err := store.SettleReplay(ctx, "DATA-1", "kA", "DATA-1"); err != nil {
		t.Fatal(err)
	}

	// DynamoDB deletes the item through its TTL attribute, expires_at.
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("repolink-test")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("table has %d items, want the replay record only", len(out.Items))
	}
	expires, ok := out.Items[0]["expires_at"].(*types.AttributeValueMemberN)
	if !ok || expires.Value != fmt.Sprint(until.Unix()) {
		t.Errorf("expires_at = %v, want %d, the signed time plus %s", out.Items[0]["expires_at"], until.Unix(), webhook.MaxAge+webhook.ReplayClockSkew)
	}

	// Until TTL has deleted it, an expired record no longer counts.
	store.Now = func() time.Time { return until }
	if _, reserved, err := store.ReserveReplay(ctx, "DATA-1", "kA", until.Add(time.Minute)); err != nil || !reserved {
		t.Errorf("reserve after the expiry = %t, %v; want reserved", reserved, err)
	}
}

func TestSettleReplayAfterTTLDeletion(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	until := epoch.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	if _, reserved, err := store.ReserveReplay(ctx, "DATA-1", "kA", until); err != nil || !reserved {
		t.Fatalf("reserve = %t, %v; want reserved", reserved, err)
	}
	scan, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("repolink-test")})
	if err != nil {
		t.Fatal(err)
	}
	if len(scan.Items) != 1 {
		t.Fatalf("table has %d items, want the replay record only", len(scan.Items))
	}
	// TTL deletes the record while the delivery is still handled.
	_, err = client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{"pk": scan.Items[0]["pk"], "sk": scan.Items[0]["sk"]}})
	if err != nil {
		t.Fatal(err)
	}

	if err := store.SettleReplay(ctx, "DATA-1", "kA", "DATA-1"); err != nil {
		t.Fatalf("settle after TTL deletion: %v", err)
	}
	scan, err = client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("repolink-test")})
	if err != nil {
		t.Fatal(err)
	}
	if len(scan.Items) != 0 {
		t.Errorf("settle after TTL deletion left %d items, want none, because an item without expires_at never expires", len(scan.Items))
	}
}
