package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newStore starts dynalite with a fresh table and returns a store on it
// whose clock is fixed at epoch.
func newStore(t *testing.T) (*dynamo.Store, *dynamodb.Client) {
	t.Helper()
	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
	client := server.Client()
	store := dynamo.New(client, "repolink-test")
	store.Now = func() time.Time { return epoch }
	return store, client
}

func wait(token string, deadline time.Time) workflow.Wait {
	return workflow.Wait{
		Token:     token,
		Execution: "DATA-" + token,
		Snowflake: request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC"},
		ServiceID: "com.amazonaws.vpce.us-west-2.vpce-svc-0abc",
		Host:      "pypi.corp.example.com",
		Cloud:     "aws",
		Deadline:  deadline.UTC(),
		CreatedAt: epoch,
	}
}

func TestWaitsPutListDelete(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()

	later := wait("token-b", epoch.Add(2*time.Hour))
	sooner := wait("token-a", epoch.Add(time.Hour))
	// The sort key holds a hash, so a token longer than DynamoDB's
	// 1,024-byte sort key limit still works.
	long := wait(strings.Repeat("t", 2000), epoch.Add(3*time.Hour))
	for _, w := range []workflow.Wait{later, sooner, long} {
		if err := store.Put(ctx, w); err != nil {
			t.Fatalf("Put(%.20s): %v", w.Token, err)
		}
	}

	got, err := store.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.Wait{sooner, later, long}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	if err := store.Delete(ctx, sooner.Token); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := store.Delete(ctx, "never-stored"); err != nil {
		t.Errorf("Delete of an unknown token: %v, want nil", err)
	}
	got, err = store.List(ctx)
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if diff := cmp.Diff([]workflow.Wait{later, long}, got); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
}

func TestWaitsPutKeepsFirst(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()

	first := wait("token-a", epoch.Add(time.Hour))
	again := first
	again.Deadline = epoch.Add(5 * time.Hour)
	if err := store.Put(ctx, first); err != nil {
		t.Fatalf("first Put: %v", err)
	}
	if err := store.Put(ctx, again); err != nil {
		t.Fatalf("second Put of the same token: %v, want nil", err)
	}

	got, err := store.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.Wait{first}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestWaitsPutEmptyToken(t *testing.T) {
	store, _ := newStore(t)
	err := store.Put(context.Background(), wait("", epoch))
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("Put with empty token: error %v named %q, want %q", err, got, workflow.ErrInvalidRequest)
	}
}

// countingClient counts the Query calls that reach DynamoDB.
type countingClient struct {
	*dynamodb.Client
	queries int
}

func (c *countingClient) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries++
	return c.Client.Query(ctx, in, optFns...)
}

func TestWaitsListPages(t *testing.T) {
	_, client := newStore(t)
	counting := &countingClient{Client: client}
	store := dynamo.New(counting, "repolink-test")
	ctx := context.Background()

	// Each body is about 10 KiB, so 150 waits exceed the 1 MB that one
	// Query page returns.
	padding := strings.Repeat("x", 10<<10)
	var want []workflow.Wait
	for i := range 150 {
		w := wait(fmt.Sprintf("token-%03d", i), epoch.Add(time.Duration(i)*time.Minute))
		w.Host = padding
		want = append(want, w)
		if err := store.Put(ctx, w); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}

	got, err := store.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("List returned %d waits, want %d", len(got), len(want))
	}
	if counting.queries < 2 {
		t.Errorf("List sent %d Query calls, want at least 2 pages", counting.queries)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestWaitsTTL(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	deadline := epoch.Add(24 * time.Hour)
	if err := store.Put(ctx, wait("token-a", deadline)); err != nil {
		t.Fatalf("Put: %v", err)
	}

	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String("repolink-test"),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "wait"}},
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("Query returned %d items, want 1", len(out.Items))
	}
	want := fmt.Sprint(deadline.Add(dynamo.DefaultWaitRetention).Unix())
	got, ok := out.Items[0]["expires_at"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("expires_at is %T, want a number", out.Items[0]["expires_at"])
	}
	if got.Value != want {
		t.Errorf("expires_at = %s, want %s (deadline plus retention)", got.Value, want)
	}
}

func TestClaimDelivery(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()

	first := dynamo.Delivery{Key: "delivery-1", Execution: "DATA-4711"}
	stored, claimed, err := store.ClaimDelivery(ctx, first)
	if err != nil {
		t.Fatalf("first ClaimDelivery: %v", err)
	}
	if !claimed {
		t.Errorf("first ClaimDelivery claimed = false, want true")
	}
	wantClaimed := dynamo.Delivery{Key: "delivery-1", Execution: "DATA-4711", ReceivedAt: epoch}
	if diff := cmp.Diff(wantClaimed, stored); diff != "" {
		t.Errorf("first ClaimDelivery (-want +got):\n%s", diff)
	}

	// A redelivery before the start was recorded sees no ARN, so the
	// caller starts the execution again, which Step Functions deduplicates
	// by name.
	stored, claimed, err = store.ClaimDelivery(ctx, first)
	if err != nil {
		t.Fatalf("second ClaimDelivery: %v", err)
	}
	if claimed {
		t.Errorf("second ClaimDelivery claimed = true, want false")
	}
	if diff := cmp.Diff(wantClaimed, stored); diff != "" {
		t.Errorf("second ClaimDelivery (-want +got):\n%s", diff)
	}

	started := wantClaimed
	started.ExecutionARN = "arn:aws:states:us-west-2:123456789012:execution:rl-provision:DATA-4711"
	if err := store.MarkStarted(ctx, started); err != nil {
		t.Fatalf("MarkStarted: %v", err)
	}
	later := first
	later.ReceivedAt = epoch.Add(time.Hour)
	stored, claimed, err = store.ClaimDelivery(ctx, later)
	if err != nil {
		t.Fatalf("ClaimDelivery after MarkStarted: %v", err)
	}
	if claimed {
		t.Errorf("ClaimDelivery after MarkStarted claimed = true, want false")
	}
	if diff := cmp.Diff(started, stored); diff != "" {
		t.Errorf("ClaimDelivery after MarkStarted (-want +got):\n%s", diff)
	}

	other, claimed, err := store.ClaimDelivery(ctx, dynamo.Delivery{Key: "delivery-2", Execution: "DATA-4712"})
	if err != nil {
		t.Fatalf("ClaimDelivery of another key: %v", err)
	}
	if !claimed || other.ExecutionARN != "" {
		t.Errorf("ClaimDelivery of another key = %+v, claimed %v; want a new claim", other, claimed)
	}
}

func TestClaimDeliveryConcurrent(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()

	const callers = 8
	var wg sync.WaitGroup
	results := make(chan bool, callers)
	for range callers {
		wg.Go(func() {
			_, claimed, err := store.ClaimDelivery(ctx, dynamo.Delivery{Key: "same", Execution: "DATA-1"})
			if err != nil {
				t.Errorf("ClaimDelivery: %v", err)
			}
			results <- claimed
		})
	}
	wg.Wait()
	close(results)

	claims := 0
	for claimed := range results {
		if claimed {
			claims++
		}
	}
	if claims != 1 {
		t.Errorf("%d of %d concurrent claims won, want exactly 1", claims, callers)
	}
}

func TestClaimDeliveryEmptyKey(t *testing.T) {
	store, _ := newStore(t)
	if _, _, err := store.ClaimDelivery(context.Background(), dynamo.Delivery{Execution: "DATA-1"}); err == nil {
		t.Error("ClaimDelivery with empty key: nil error, want one")
	}
}

// failingClient returns err from every call.
type failingClient struct{ err error }

func (c failingClient) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, c.err
}

func (c failingClient) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, c.err
}

func (c failingClient) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, c.err
}

func (c failingClient) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, c.err
}

func TestErrorNames(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"throughput exceeded", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, workflow.ErrThrottled},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, workflow.ErrThrottled},
		{"internal error", &types.InternalServerError{Message: aws.String("oops")}, workflow.ErrTransient},
		{"deadline", context.DeadlineExceeded, workflow.ErrTransient},
		{"missing table", &types.ResourceNotFoundException{Message: aws.String("no table")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := dynamo.New(failingClient{err: tt.err}, "repolink-test")
			calls := map[string]error{
				"Put":    store.Put(context.Background(), wait("token-a", epoch)),
				"Delete": store.Delete(context.Background(), "token-a"),
			}
			_, listErr := store.List(context.Background())
			calls["List"] = listErr
			_, _, claimErr := store.ClaimDelivery(context.Background(), dynamo.Delivery{Key: "k", Execution: "e"})
			calls["ClaimDelivery"] = claimErr

			for call, err := range calls {
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: error %v does not wrap %v", call, err, tt.err)
				}
				if got := workflow.NameOf(err); got != tt.want {
					t.Errorf("%s: error named %q, want %q", call, got, tt.want)
				}
				if !strings.Contains(err.Error(), "repolink-test") {
					t.Errorf("%s: error %q does not name the table", call, err)
				}
			}
		})
	}
}
