package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// starter is a start function that counts its calls and returns the
// execution name, or err when set.
type starter struct {
	mu    sync.Mutex
	calls int
	name  string
	err   error
	// runs is the list of known runs that the last call received.
	runs []string
}

func (s *starter) start(_ context.Context, runs []string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.runs = runs
	return s.name, s.err
}

// ticketPartitionKey is the partition key that the table layout gives a
// ticket.
func ticketPartitionKey(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return "ticket#" + hex.EncodeToString(sum[:])
}

func delivery(ticket, hash string) dynamo.Delivery {
	return dynamo.Delivery{Ticket: ticket, RequestHash: hash, Source: "request"}
}

// rerun returns d with RerunEarlier set.
func rerun(d dynamo.Delivery) dynamo.Delivery {
	d.RerunEarlier = true
	return d
}

func TestDeliverOutcomes(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	start := &starter{}

	steps := []struct {
		name       string
		delivery   dynamo.Delivery
		started    string // the execution that start returns
		want       dynamo.Outcome
		wantStarts int
		// wantRuns is the list of known runs that the last start call
		// received.
		wantRuns []string
	}{
		{"first delivery", delivery("DATA-4711", "hash-a"), "DATA-4711", dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711"}, 1, nil},
		{"same request again", delivery("DATA-4711", "hash-a"), "", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711"}, 1, nil},
		{"changed request", delivery("DATA-4711", "hash-b"), "DATA-4711-r2", dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711-r2"}, 2, []string{"DATA-4711"}},
		{"changed request again", delivery("DATA-4711", "hash-b"), "", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711-r2"}, 2, []string{"DATA-4711"}},
		{"earlier request", delivery("DATA-4711", "hash-a"), "", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711", Latest: "DATA-4711-r2"}, 2, []string{"DATA-4711"}},
		{"third request", delivery("DATA-4711", "hash-c"), "DATA-4711-r3", dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711-r3"}, 3, []string{"DATA-4711", "DATA-4711-r2"}},
		{"other ticket", delivery("DATA-4712", "hash-a"), "DATA-4712", dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4712"}, 4, nil},
		{"earlier request rerun", rerun(delivery("DATA-4711", "hash-a")), "DATA-4711-r4", dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711-r4"}, 5, []string{"DATA-4711", "DATA-4711-r2", "DATA-4711-r3"}},
		{"rerun request again", rerun(delivery("DATA-4711", "hash-a")), "", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711-r4"}, 5, []string{"DATA-4711", "DATA-4711-r2", "DATA-4711-r3"}},
		{"latest request rerun", rerun(delivery("DATA-4712", "hash-a")), "", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4712"}, 5, []string{"DATA-4711", "DATA-4711-r2", "DATA-4711-r3"}},
	}
	for _, step := range steps {
		start.name = step.started
		got, err := store.Deliver(ctx, step.delivery, start.start)
		if err != nil {
			t.Fatalf("%s: Deliver: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: Deliver (-want +got):\n%s", step.name, diff)
		}
		if start.calls != step.wantStarts {
			t.Errorf("%s: start called %d times in all, want %d", step.name, start.calls, step.wantStarts)
		}
		if diff := cmp.Diff(step.wantRuns, start.runs); diff != "" {
			t.Errorf("%s: known runs passed to start (-want +got):\n%s", step.name, diff)
		}
	}
}

func TestDeliverAfterFailedStart(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	failing := &starter{err: errors.New("step functions unavailable")}

	if _, err := store.Deliver(ctx, delivery("DATA-4711", "hash-a"), failing.start); !errors.Is(err, failing.err) {
		t.Fatalf("Deliver with failing start: error %v, want %v", err, failing.err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: ticketPartitionKey("DATA-4711")},
			"sk": &types.AttributeValueMemberS{Value: "ticket"},
		},
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		t.Fatal("no ticket item after a failed start; want the claim kept")
	}
	if _, ok := out.Item["execution"]; ok {
		t.Errorf("ticket item has an execution after a failed start: %v", out.Item["execution"])
	}

	// The redelivery, even with an edited request, starts the execution,
	// because the first claim never started one.
	working := &starter{name: "DATA-4711"}
	got, err := store.Deliver(ctx, delivery("DATA-4711", "hash-b"), working.start)
	if err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711"}, got); diff != "" {
		t.Errorf("redelivery (-want +got):\n%s", diff)
	}
	if working.calls != 1 {
		t.Errorf("redelivery called start %d times, want 1", working.calls)
	}

	got, err = store.Deliver(ctx, delivery("DATA-4711", "hash-b"), working.start)
	if err != nil {
		t.Fatalf("third delivery: %v", err)
	}
	if got.Kind != dynamo.Duplicate {
		t.Errorf("third delivery kind = %q, want %q", got.Kind, dynamo.Duplicate)
	}
}

func TestDeliverConcurrent(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	start := &starter{name: "DATA-1"}

	const callers = 8
	var wg sync.WaitGroup
	kinds := make(chan string, callers)
	for range callers {
		wg.Go(func() {
			out, err := store.Deliver(ctx, delivery("DATA-1", "hash-a"), start.start)
			if err != nil {
				t.Errorf("Deliver: %v", err)
				return
			}
			kinds <- out.Kind
		})
	}
	wg.Wait()
	close(kinds)

	counts := map[string]int{}
	for kind := range kinds {
		counts[kind]++
	}
	if counts[dynamo.Started] < 1 || counts[dynamo.Started]+counts[dynamo.Duplicate] != callers {
		t.Errorf("outcomes %v, want at least one started and the rest duplicates", counts)
	}
	// A delivery that reads the claim before the winner records its
	// execution calls start too; Step Functions returns the running
	// execution for it. Every later delivery is a duplicate.
	if start.calls != counts[dynamo.Started] {
		t.Errorf("start called %d times for %d started outcomes", start.calls, counts[dynamo.Started])
	}
}

func TestDeliverMissingTicket(t *testing.T) {
	store, _ := newStore(t)
	start := &starter{name: "x"}
	if _, err := store.Deliver(context.Background(), delivery("", "hash"), start.start); err == nil {
		t.Error("Deliver without a ticket: nil error, want one")
	}
	if start.calls != 0 {
		t.Errorf("start called %d times for an invalid delivery, want 0", start.calls)
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

func (c failingClient) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
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
		{"access denied", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: dynamodb:PutItem"}, workflow.ErrPermissionDenied},
		{"validation", &smithy.GenericAPIError{Code: "ValidationException", Message: "invalid key"}, workflow.ErrInvalidRequest},
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
			_, deliverErr := store.Deliver(context.Background(), delivery("DATA-1", "hash"), (&starter{}).start)
			calls["Deliver"] = deliverErr
			_, reserveErr := store.Reserve(context.Background(), workflow.EndpointReservation{
				Account: "acme-prod", RequestID: "DATA-1", Limit: 5, Now: epoch,
			})
			calls["Reserve"] = reserveErr
			calls["Release"] = store.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1")

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

func TestDeliverChangedRequestStartFails(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	if _, err := store.Deliver(ctx, delivery("DATA-4711", "hash-a"), (&starter{name: "DATA-4711"}).start); err != nil {
		t.Fatal(err)
	}

	failing := &starter{err: errors.New("execution DATA-4711 still runs")}
	if _, err := store.Deliver(ctx, delivery("DATA-4711", "hash-b"), failing.start); !errors.Is(err, failing.err) {
		t.Fatalf("changed request with failing start: error %v, want %v", err, failing.err)
	}

	// The first request keeps its execution, and the changed request
	// starts on its next delivery.
	unused := &starter{name: "unexpected"}
	got, err := store.Deliver(ctx, delivery("DATA-4711", "hash-a"), unused.start)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711"}, got); diff != "" {
		t.Errorf("first request again (-want +got):\n%s", diff)
	}
	if unused.calls != 0 {
		t.Errorf("first request again called start %d times, want 0", unused.calls)
	}
	got, err = store.Deliver(ctx, delivery("DATA-4711", "hash-b"), (&starter{name: "DATA-4711-r2"}).start)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711-r2"}, got); diff != "" {
		t.Errorf("changed request again (-want +got):\n%s", diff)
	}
}

// TestDeliverKeepsTicketWithoutRuns checks a ticket item written before
// items kept their runs: its execution stays known after the ticket
// changes.
func TestDeliverKeepsTicketWithoutRuns(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("repolink-test"),
		Item: map[string]types.AttributeValue{
			"pk":           &types.AttributeValueMemberS{Value: ticketPartitionKey("DATA-4711")},
			"sk":           &types.AttributeValueMemberS{Value: "ticket"},
			"ticket":       &types.AttributeValueMemberS{Value: "DATA-4711"},
			"request_hash": &types.AttributeValueMemberS{Value: "hash-a"},
			"execution":    &types.AttributeValueMemberS{Value: "DATA-4711"},
			"source":       &types.AttributeValueMemberS{Value: "request"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := store.Deliver(ctx, delivery("DATA-4711", "hash-b"), (&starter{name: "DATA-4711-r2"}).start)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711-r2"}, got); diff != "" {
		t.Errorf("changed request (-want +got):\n%s", diff)
	}
	got, err = store.Deliver(ctx, delivery("DATA-4711", "hash-a"), (&starter{name: "unexpected"}).start)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711", Latest: "DATA-4711-r2"}, got); diff != "" {
		t.Errorf("earlier request (-want +got):\n%s", diff)
	}
}

// A ticket's record lists the runs that the webhook must start above, so it
// must outlive the 90 days for which Step Functions keeps an execution name.
func TestDeliveryRetentionOutlivesHistory(t *testing.T) {
	const history = 90 * 24 * time.Hour
	if dynamo.DefaultDeliveryRetention <= history {
		t.Errorf("DefaultDeliveryRetention = %s, want more than the %s of Step Functions history", dynamo.DefaultDeliveryRetention, history)
	}
}

// gatedStart is a start function that reports its call on entered and then
// returns name once release is closed.
type gatedStart struct {
	name    string
	entered chan struct{}
	release chan struct{}
}

func newGatedStart(name string) *gatedStart {
	return &gatedStart{name: name, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedStart) start(ctx context.Context, _ []string) (string, error) {
	close(g.entered)
	select {
	case <-g.release:
		return g.name, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// TestDeliverInterleavedKeepsRuns runs two deliveries of one ticket with
// different requests, so that the second replaces the first one's claim
// while the first one's start is in flight. Both runs must stay recorded in
// whichever order the two deliveries record their executions.
func TestDeliverInterleavedKeepsRuns(t *testing.T) {
	for _, firstRecordsLast := range []bool{true, false} {
		t.Run(fmt.Sprintf("first records last %v", firstRecordsLast), func(t *testing.T) {
			store, _ := newStore(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			first := newGatedStart("DATA-4711")
			second := newGatedStart("DATA-4711-r2")
			type result struct {
				out dynamo.Outcome
				err error
			}
			firstDone := make(chan result, 1)
			secondDone := make(chan result, 1)

			go func() {
				out, err := store.Deliver(ctx, delivery("DATA-4711", "hash-a"), first.start)
				firstDone <- result{out, err}
			}()
			<-first.entered
			go func() {
				out, err := store.Deliver(ctx, delivery("DATA-4711", "hash-b"), second.start)
				secondDone <- result{out, err}
			}()
			// The second delivery calls start only after it replaced the
			// first delivery's claim.
			<-second.entered

			var firstResult, secondResult result
			if firstRecordsLast {
				close(second.release)
				secondResult = <-secondDone
				close(first.release)
				firstResult = <-firstDone
			} else {
				close(first.release)
				firstResult = <-firstDone
				close(second.release)
				secondResult = <-secondDone
			}
			if firstResult.err != nil {
				t.Fatalf("first delivery: %v", firstResult.err)
			}
			if secondResult.err != nil {
				t.Fatalf("second delivery: %v", secondResult.err)
			}
			if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711"}, firstResult.out); diff != "" {
				t.Errorf("first delivery (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(dynamo.Outcome{Kind: dynamo.Started, Execution: "DATA-4711-r2"}, secondResult.out); diff != "" {
				t.Errorf("second delivery (-want +got):\n%s", diff)
			}

			// Redeliveries of both requests are duplicates of their runs.
			// The second request replaced the claim, so its run is the
			// latest.
			unused := &starter{name: "unexpected"}
			for _, redelivery := range []struct {
				hash string
				want dynamo.Outcome
			}{
				{"hash-a", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711", Latest: "DATA-4711-r2"}},
				{"hash-b", dynamo.Outcome{Kind: dynamo.Duplicate, Execution: "DATA-4711-r2"}},
			} {
				got, err := store.Deliver(ctx, delivery("DATA-4711", redelivery.hash), unused.start)
				if err != nil {
					t.Fatalf("redelivery of %s: %v", redelivery.hash, err)
				}
				if diff := cmp.Diff(redelivery.want, got); diff != "" {
					t.Errorf("redelivery of %s (-want +got):\n%s", redelivery.hash, diff)
				}
			}
			if unused.calls != 0 {
				t.Errorf("redeliveries called start %d times, want 0", unused.calls)
			}
		})
	}
}
