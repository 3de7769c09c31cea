package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
)

const runARN = "arn:aws:states:us-west-2:123456789012:execution:rl-provision:DATA-1"

func TestRunHoldersItemLayout(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	holders := map[string]dynamo.RunHolder{runARN: {Machine: "provision", RedriveCount: 2, TakenAt: epoch}}
	if ok, err := store.WriteRunHolders(ctx, "DATA-1", dynamo.RunHolders{}, holders); err != nil || !ok {
		t.Fatalf("WriteRunHolders = %v, %v, want true, nil", ok, err)
	}

	sum := sha256.Sum256([]byte("DATA-1"))
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "run#" + hex.EncodeToString(sum[:])},
			"sk": &types.AttributeValueMemberS{Value: "run"},
		},
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		t.Fatal("no run item under the request ID's key")
	}
	if got, want := numberAttribute(t, out.Item, "version"), "1"; got != want {
		t.Errorf("version = %s, want %s", got, want)
	}
	wantExpiry := fmt.Sprint(epoch.Add(dynamo.DefaultRunHoldTTL).Unix())
	if got := numberAttribute(t, out.Item, "expires_at"); got != wantExpiry {
		t.Errorf("expires_at = %s, want %s (write time plus TTL)", got, wantExpiry)
	}

	read, err := store.ReadRunHolders(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	want := dynamo.RunHolders{Found: true, Version: 1, Holders: holders}
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("ReadRunHolders (-want +got):\n%s", diff)
	}
}

// TestWriteRunHoldersConditional writes twice from one read. Only the
// first write may succeed, for an absent item and for a present one.
func TestWriteRunHoldersConditional(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	first := map[string]dynamo.RunHolder{runARN: {Machine: "provision", TakenAt: epoch}}
	second := map[string]dynamo.RunHolder{runARN + "-teardown": {Machine: "teardown", TakenAt: epoch}}

	for round := range 2 {
		read, err := store.ReadRunHolders(ctx, "DATA-1")
		if err != nil {
			t.Fatalf("round %d: ReadRunHolders: %v", round, err)
		}
		if ok, err := store.WriteRunHolders(ctx, "DATA-1", read, first); err != nil || !ok {
			t.Fatalf("round %d: first write = %v, %v, want true, nil", round, ok, err)
		}
		if ok, err := store.WriteRunHolders(ctx, "DATA-1", read, second); err != nil || ok {
			t.Errorf("round %d: second write from the same read = %v, %v, want false, nil", round, ok, err)
		}
	}
	read, err := store.ReadRunHolders(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	if _, ok := read.Holders[runARN]; !ok || len(read.Holders) != 1 {
		t.Errorf("holders %v, want only %s", read.Holders, runARN)
	}
	if read.Version != 2 {
		t.Errorf("version %d, want 2", read.Version)
	}
}

func TestReleaseRunHolder(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	other := runARN + "-teardown"
	holders := map[string]dynamo.RunHolder{
		runARN: {Machine: "provision", RedriveCount: 1, TakenAt: epoch},
		other:  {Machine: "teardown", TakenAt: epoch.Add(time.Second)},
	}
	if ok, err := store.WriteRunHolders(ctx, "DATA-1", dynamo.RunHolders{}, holders); err != nil || !ok {
		t.Fatalf("WriteRunHolders = %v, %v", ok, err)
	}

	tests := []struct {
		name     string
		request  string
		arn      string
		redrives int
		want     bool
	}{
		{"closed before the redrive that took it", "DATA-1", runARN, 0, false},
		{"not a holder", "DATA-1", runARN + "-r2", 5, false},
		{"request without item", "DATA-2", runARN, 5, false},
		{"holder", "DATA-1", runARN, 1, true},
		{"released already", "DATA-1", runARN, 1, false},
	}
	for _, tt := range tests {
		released, err := store.ReleaseRunHolder(ctx, tt.request, tt.arn, tt.redrives)
		if err != nil {
			t.Fatalf("%s: ReleaseRunHolder: %v", tt.name, err)
		}
		if released != tt.want {
			t.Errorf("%s: released = %v, want %v", tt.name, released, tt.want)
		}
	}

	read, err := store.ReadRunHolders(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	want := map[string]dynamo.RunHolder{other: holders[other]}
	if diff := cmp.Diff(want, read.Holders); diff != "" {
		t.Errorf("holders after release (-want +got):\n%s", diff)
	}
	if read.Version != 2 {
		t.Errorf("version %d, want 2 (the release raises it)", read.Version)
	}
}

func TestRunItemLatestTeardown(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	const teardownARN = "arn:aws:states:us-west-2:123456789012:execution:rl-teardown:DATA-1-teardown"
	holders := map[string]dynamo.RunHolder{teardownARN: {Machine: "teardown", TakenAt: epoch}}
	if ok, err := store.WriteRunItem(ctx, "DATA-1", dynamo.RunHolders{}, holders, teardownARN); err != nil || !ok {
		t.Fatalf("WriteRunItem = %v, %v, want true, nil", ok, err)
	}
	if released, err := store.ReleaseRunHolder(ctx, "DATA-1", teardownARN, 0); err != nil || !released {
		t.Fatalf("ReleaseRunHolder = %v, %v, want true, nil", released, err)
	}
	read, err := store.ReadRunHolders(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	if read.LatestTeardown != teardownARN {
		t.Errorf("latest teardown after the release %q, want %q", read.LatestTeardown, teardownARN)
	}

	holders = map[string]dynamo.RunHolder{runARN: {Machine: "provision", TakenAt: epoch}}
	if ok, err := store.WriteRunHolders(ctx, "DATA-1", read, holders); err != nil || !ok {
		t.Fatalf("WriteRunHolders = %v, %v, want true, nil", ok, err)
	}
	read, err = store.ReadRunHolders(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	if read.LatestTeardown != teardownARN {
		t.Errorf("latest teardown after WriteRunHolders %q, want %q", read.LatestTeardown, teardownARN)
	}
}

func TestTeardownRecordStart(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	since, err := store.TeardownRecordStart(ctx)
	if err != nil || !since.IsZero() {
		t.Fatalf("TeardownRecordStart before a start = %v, %v, want zero time", since, err)
	}
	first := epoch.Add(time.Hour)
	for _, start := range []time.Time{first, first.Add(time.Hour)} {
		if err := store.StartTeardownRecord(ctx, start); err != nil {
			t.Fatalf("StartTeardownRecord(%v): %v", start, err)
		}
	}
	since, err = store.TeardownRecordStart(ctx)
	if err != nil {
		t.Fatalf("TeardownRecordStart: %v", err)
	}
	if !since.Equal(first) {
		t.Errorf("TeardownRecordStart = %v, want the first start %v", since, first)
	}
}
