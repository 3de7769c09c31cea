package dynamo_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestNoticeClaimOnce(t *testing.T) {
	store, _ := newStore(t)
	notices := store.Credentials()
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	retain := now.Add(30 * 24 * time.Hour)
	const id = "xy12345/platform.packages.secret@2026-03-01T20:00:00Z"

	claimed, err := notices.ClaimNotice(ctx, id, now, now.Add(time.Minute), retain)
	if err != nil || !claimed {
		t.Fatalf("first ClaimNotice = %v, %v; want true", claimed, err)
	}
	claimed, err = notices.ClaimNotice(ctx, id, now.Add(30*time.Second), now.Add(90*time.Second), retain)
	if err != nil || claimed {
		t.Errorf("ClaimNotice during a live claim = %v, %v; want false", claimed, err)
	}
	claimed, err = notices.ClaimNotice(ctx, id, now.Add(2*time.Minute), now.Add(3*time.Minute), retain)
	if err != nil || !claimed {
		t.Errorf("ClaimNotice after the claim lapsed = %v, %v; want true", claimed, err)
	}

	if err := notices.MarkNoticeSent(ctx, id, retain); err != nil {
		t.Fatalf("MarkNoticeSent: %v", err)
	}
	claimed, err = notices.ClaimNotice(ctx, id, now.Add(time.Hour), now.Add(61*time.Minute), retain)
	if err != nil || claimed {
		t.Errorf("ClaimNotice after it was sent = %v, %v; want false", claimed, err)
	}
	// A sent notice stays sent: only a claim in state sending is released.
	if err := notices.ReleaseNotice(ctx, id); err != nil {
		t.Fatalf("ReleaseNotice of a sent notice: %v", err)
	}
	claimed, err = notices.ClaimNotice(ctx, id, now.Add(time.Hour), now.Add(61*time.Minute), retain)
	if err != nil || claimed {
		t.Errorf("ClaimNotice after releasing a sent notice = %v, %v; want false", claimed, err)
	}
}

func TestNoticeReleaseAllowsClaim(t *testing.T) {
	store, _ := newStore(t)
	notices := store.Credentials()
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	retain := now.Add(30 * 24 * time.Hour)
	const id = "xy12345/platform.packages.secret@2026-03-01T20:00:00Z"

	if claimed, err := notices.ClaimNotice(ctx, id, now, now.Add(time.Minute), retain); err != nil || !claimed {
		t.Fatalf("ClaimNotice = %v, %v; want true", claimed, err)
	}
	if err := notices.ReleaseNotice(ctx, id); err != nil {
		t.Fatalf("ReleaseNotice: %v", err)
	}
	claimed, err := notices.ClaimNotice(ctx, id, now, now.Add(time.Minute), retain)
	if err != nil || !claimed {
		t.Errorf("ClaimNotice after ReleaseNotice = %v, %v; want true", claimed, err)
	}
	if err := notices.ReleaseNotice(ctx, "missing"); err != nil {
		t.Errorf("ReleaseNotice of a missing claim: %v", err)
	}
}

func TestNoticeItemPartition(t *testing.T) {
	store, client := newStore(t)
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	const id = "xy12345/platform.packages.secret@2026-03-01T20:00:00Z"
	if claimed, err := store.Credentials().ClaimNotice(ctx, id, now, now.Add(time.Minute), now.Add(time.Hour)); err != nil || !claimed {
		t.Fatalf("ClaimNotice = %v, %v; want true", claimed, err)
	}

	// The stack in infra/ lets the notifier's role reach only the
	// partition key "credential#notices", and the roles that write expiry
	// records only "credential#expiries".
	for _, tt := range []struct {
		partition string
		want      int
	}{
		{"credential#notices", 1},
		{"credential#expiries", 0},
	} {
		out, err := client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String("repolink-test"),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: tt.partition}},
		})
		if err != nil {
			t.Fatalf("Query %s: %v", tt.partition, err)
		}
		if len(out.Items) != tt.want {
			t.Errorf("partition %s has %d items, want %d", tt.partition, len(out.Items), tt.want)
		}
	}
}
