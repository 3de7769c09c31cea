package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
)

const claimKey = "myorg-analytics\x00artifact repository\x00PLATFORM.PACKAGES.CORP_PYPI"

func TestClaimItemLayout(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	expiresAt := epoch.Add(time.Hour)
	claim := dynamo.Claim{Request: "DATA-1", Execution: "DATA-1", ClaimedAt: epoch, ExpiresAt: expiresAt}
	written, ok, err := store.WriteClaim(ctx, claimKey, "myorg-analytics", "artifact repository PLATFORM.PACKAGES.CORP_PYPI", dynamo.Claim{}, claim)
	if err != nil || !ok {
		t.Fatalf("WriteClaim = %v, %v, want true, nil", ok, err)
	}

	sum := sha256.Sum256([]byte(claimKey))
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "claim#" + hex.EncodeToString(sum[:])},
			"sk": &types.AttributeValueMemberS{Value: "claim"},
		},
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		t.Fatal("no claim item under the claim key's hash")
	}
	if got, want := numberAttribute(t, out.Item, "expires_at"), strconv.FormatInt(expiresAt.Unix(), 10); got != want {
		t.Errorf("expires_at = %s, want %s", got, want)
	}
	if got, want := numberAttribute(t, out.Item, "version"), "1"; got != want {
		t.Errorf("version = %s, want %s", got, want)
	}

	read, err := store.ReadClaim(ctx, claimKey)
	if err != nil {
		t.Fatalf("ReadClaim: %v", err)
	}
	want := dynamo.Claim{Found: true, Version: 1, Request: "DATA-1", Execution: "DATA-1", ClaimedAt: epoch, ExpiresAt: expiresAt}
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("ReadClaim (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, written); diff != "" {
		t.Errorf("WriteClaim returned (-want +got):\n%s", diff)
	}

	if ok, err := store.MarkClaimStarted(ctx, claimKey, "DATA-1", "DATA-1"); err != nil || !ok {
		t.Fatalf("MarkClaimStarted = %v, %v, want true, nil", ok, err)
	}
	marked, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("repolink-test"), Key: map[string]types.AttributeValue{
		"pk": out.Item["pk"], "sk": out.Item["sk"],
	}})
	if err != nil {
		t.Fatalf("GetItem after the start mark: %v", err)
	}
	if _, ok := marked.Item["expires_at"]; ok {
		t.Error("started claim item has expires_at, want none because a teardown frees it")
	}
}

func TestWriteClaimStartedHasNoExpiry(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	claim := dynamo.Claim{Request: "DATA-1", Execution: "DATA-1", ClaimedAt: epoch, Started: true, ExpiresAt: epoch.Add(time.Hour)}
	if _, ok, err := store.WriteClaim(ctx, claimKey, "a", "n", dynamo.Claim{}, claim); err != nil || !ok {
		t.Fatalf("WriteClaim = %v, %v, want true, nil", ok, err)
	}
	read, err := store.ReadClaim(ctx, claimKey)
	if err != nil {
		t.Fatalf("ReadClaim: %v", err)
	}
	if !read.ExpiresAt.IsZero() {
		t.Errorf("started claim expires at %v, want no expiry", read.ExpiresAt)
	}
}

func TestWriteClaimConditions(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	first := dynamo.Claim{Request: "DATA-1", Execution: "DATA-1", ClaimedAt: epoch}
	second := dynamo.Claim{Request: "DATA-2", Execution: "DATA-2", ClaimedAt: epoch}

	if _, ok, err := store.WriteClaim(ctx, claimKey, "a", "n", dynamo.Claim{}, first); err != nil || !ok {
		t.Fatalf("first WriteClaim = %v, %v, want true, nil", ok, err)
	}
	if _, ok, err := store.WriteClaim(ctx, claimKey, "a", "n", dynamo.Claim{}, second); err != nil || ok {
		t.Errorf("WriteClaim on an absent read of a present item = %v, %v, want false, nil", ok, err)
	}

	read, err := store.ReadClaim(ctx, claimKey)
	if err != nil {
		t.Fatalf("ReadClaim: %v", err)
	}
	if ok, err := store.MarkClaimStarted(ctx, claimKey, "DATA-2", "DATA-2"); err != nil || ok {
		t.Errorf("MarkClaimStarted by another request = %v, %v, want false, nil", ok, err)
	}
	if ok, err := store.MarkClaimStarted(ctx, claimKey, "DATA-1", "DATA-1"); err != nil || !ok {
		t.Fatalf("MarkClaimStarted by the holder = %v, %v, want true, nil", ok, err)
	}
	if _, ok, err := store.WriteClaim(ctx, claimKey, "a", "n", read, second); err != nil || ok {
		t.Errorf("WriteClaim on a read from before the start mark = %v, %v, want false, nil", ok, err)
	}

	marked, err := store.ReadClaim(ctx, claimKey)
	if err != nil {
		t.Fatalf("ReadClaim: %v", err)
	}
	if !marked.Started || marked.Version != 2 {
		t.Errorf("claim after the start mark = %+v, want started at version 2", marked)
	}
	if ok, err := store.DeleteClaim(ctx, claimKey, read.Version); err != nil || ok {
		t.Errorf("DeleteClaim at an old version = %v, %v, want false, nil", ok, err)
	}
	if ok, err := store.DeleteClaim(ctx, claimKey, marked.Version); err != nil || !ok {
		t.Errorf("DeleteClaim at the current version = %v, %v, want true, nil", ok, err)
	}
	gone, err := store.ReadClaim(ctx, claimKey)
	if err != nil {
		t.Fatalf("ReadClaim: %v", err)
	}
	if gone.Found {
		t.Errorf("claim after DeleteClaim = %+v, want none", gone)
	}
}
