package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/reservations/reservationstest"
	"github.com/repolink/repolink/shared/workflow"
)

func TestReservationsContract(t *testing.T) {
	server := dynamotest.Start(t)
	var tables atomic.Int64
	reservationstest.Run(t, dynamo.DefaultReservationTTL, func(t *testing.T) reservationstest.OpenFunc {
		table := fmt.Sprintf("repolink-test-%d", tables.Add(1))
		server.CreateTable(t, table)
		return func(t *testing.T) workflow.EndpointReservations {
			return dynamo.New(server.Client(), table)
		}
	})
}

// The Lambda and the single-machine runtime must hold a place equally long.
func TestReservationTTLMatchesSQLite(t *testing.T) {
	if dynamo.DefaultReservationTTL != reservations.TTL {
		t.Errorf("DefaultReservationTTL = %s, want %s as in the SQLite store", dynamo.DefaultReservationTTL, reservations.TTL)
	}
}

func TestReservationsItemLayout(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	r := reservationstest.Reservation("DATA-1", "svc-a")
	r.Account = "ACME-Prod"
	r.Execution = "DATA-1"
	if got := reservationstest.Reserve(t, store, r); !got.Reserved {
		t.Fatalf("first place rejected: %+v", got)
	}

	sum := sha256.Sum256([]byte("acme-prod"))
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "endpoints#" + hex.EncodeToString(sum[:])},
			"sk": &types.AttributeValueMemberS{Value: "reservations"},
		},
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		t.Fatal("no reservations item under the lower-case account's key")
	}
	if got, want := numberAttribute(t, out.Item, "version"), "1"; got != want {
		t.Errorf("version = %s, want %s", got, want)
	}
	wantExpiry := fmt.Sprint(reservationstest.Start.Add(dynamo.DefaultReservationTTL).Unix())
	if got := numberAttribute(t, out.Item, "expires_at"); got != wantExpiry {
		t.Errorf("expires_at = %s, want %s (reserved time plus TTL)", got, wantExpiry)
	}
	places, ok := out.Item["places"].(*types.AttributeValueMemberM)
	if !ok {
		t.Fatalf("places is %T, want a map", out.Item["places"])
	}
	if _, ok := places.Value["DATA-1"]; !ok {
		t.Errorf("places %v has no entry for DATA-1", places.Value)
	}
}

func numberAttribute(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s is %T, want a number", name, item[name])
	}
	return v.Value
}

// hookClient runs beforePut once, before the first PutItem reaches
// DynamoDB, and counts the PutItem calls.
type hookClient struct {
	*dynamodb.Client
	beforePut func()
	puts      atomic.Int64
	// failPuts makes every PutItem fail its condition without reaching
	// DynamoDB.
	failPuts bool
}

func (c *hookClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.puts.Add(1)
	if c.beforePut != nil {
		hook := c.beforePut
		c.beforePut = nil
		hook()
	}
	if c.failPuts {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	return c.Client.PutItem(ctx, in, optFns...)
}

// TestReleaseDuringReserve releases a place between a Reserve's read and
// its write. The Reserve must read again and not write the released place
// back.
func TestReleaseDuringReserve(t *testing.T) {
	store, client := newStore(t)
	ctx := context.Background()
	three := []string{"svc-1", "svc-2", "svc-3"}
	first := reservationstest.Reservation("DATA-1", "", three...)
	first.Execution = "DATA-1"
	if got := reservationstest.Reserve(t, store, first); !got.Reserved {
		t.Fatalf("place for DATA-1 rejected: %+v", got)
	}

	hooked := &hookClient{Client: client}
	hooked.beforePut = func() {
		if err := store.Release(ctx, "acme-prod", "DATA-1", "DATA-1"); err != nil {
			t.Errorf("Release: %v", err)
		}
	}
	racing := dynamo.New(hooked, "repolink-test")
	if got := reservationstest.Reserve(t, racing, reservationstest.Reservation("DATA-2", "", three...)); !got.Reserved {
		t.Fatalf("place for DATA-2 rejected: %+v", got)
	}
	if got := hooked.puts.Load(); got != 2 {
		t.Errorf("Reserve sent %d PutItem calls, want 2: one that fails after the release and one after reading again", got)
	}

	// Three listed endpoints and DATA-2's place leave one place.
	if got := reservationstest.Reserve(t, store, reservationstest.Reservation("DATA-3", "", three...)); !got.Reserved {
		t.Errorf("place for DATA-3 rejected, so the released place came back: %+v", got)
	}
}

func TestReserveContentionError(t *testing.T) {
	_, client := newStore(t)
	failing := &hookClient{Client: client, failPuts: true}
	store := dynamo.New(failing, "repolink-test")

	_, err := store.Reserve(context.Background(), reservationstest.Reservation("DATA-1", ""))
	if !errors.Is(err, dynamo.ErrReservationContention) {
		t.Fatalf("Reserve with every write failing its condition: error %v, want %v", err, dynamo.ErrReservationContention)
	}
	if got := failing.puts.Load(); got != 10 {
		t.Errorf("Reserve sent %d PutItem calls, want 10 attempts", got)
	}
	for _, want := range []string{"acme-prod", "DATA-1", "repolink-test"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestReserveMissingAccount(t *testing.T) {
	store, _ := newStore(t)
	_, err := store.Reserve(context.Background(), workflow.EndpointReservation{RequestID: "DATA-1", Limit: 5})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("Reserve without an account: error %v named %q, want %q", err, got, workflow.ErrInvalidRequest)
	}
}

// putVersionlessItem writes the reservations item of acme-prod without a
// version attribute, with one place for DATA-0 reserved at
// reservationstest.Start.
func putVersionlessItem(t *testing.T, client *dynamodb.Client) {
	t.Helper()
	sum := sha256.Sum256([]byte("acme-prod"))
	_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String("repolink-test"),
		Item: map[string]types.AttributeValue{
			"pk":      &types.AttributeValueMemberS{Value: "endpoints#" + hex.EncodeToString(sum[:])},
			"sk":      &types.AttributeValueMemberS{Value: "reservations"},
			"account": &types.AttributeValueMemberS{Value: "acme-prod"},
			"places": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"DATA-0": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"reserved_at": &types.AttributeValueMemberN{Value: fmt.Sprint(reservationstest.Start.Unix())},
				}},
			}},
		},
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

// getReservationsItem reads the reservations item of acme-prod.
func getReservationsItem(t *testing.T, client *dynamodb.Client) map[string]types.AttributeValue {
	t.Helper()
	sum := sha256.Sum256([]byte("acme-prod"))
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "endpoints#" + hex.EncodeToString(sum[:])},
			"sk": &types.AttributeValueMemberS{Value: "reservations"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		t.Fatal("no reservations item for acme-prod")
	}
	return out.Item
}

// TestReserveItemWithoutVersion reserves in an item that has no version
// attribute, as one written by hand has. The item's place must still
// count, and the write must add version 1.
func TestReserveItemWithoutVersion(t *testing.T) {
	_, client := newStore(t)
	putVersionlessItem(t, client)
	counted := &hookClient{Client: client}
	store := dynamo.New(counted, "repolink-test")

	if got := reservationstest.Reserve(t, store, reservationstest.Reservation("DATA-1", "")); !got.Reserved {
		t.Fatalf("place for DATA-1 rejected: %+v", got)
	}
	if got := counted.puts.Load(); got != 1 {
		t.Errorf("Reserve sent %d PutItem calls, want 1", got)
	}
	item := getReservationsItem(t, client)
	if got, want := numberAttribute(t, item, "version"), "1"; got != want {
		t.Errorf("version = %s, want %s", got, want)
	}
	places, ok := item["places"].(*types.AttributeValueMemberM)
	if !ok {
		t.Fatalf("places is %T, want a map", item["places"])
	}
	for _, request := range []string{"DATA-0", "DATA-1"} {
		if _, ok := places.Value[request]; !ok {
			t.Errorf("places %v has no entry for %s", places.Value, request)
		}
	}

	// DATA-0, DATA-1 and three listed endpoints fill the five places.
	full := reservationstest.Reservation("DATA-2", "", "svc-1", "svc-2", "svc-3")
	if got := reservationstest.Reserve(t, store, full); got.Reserved {
		t.Errorf("place for DATA-2 reserved, so DATA-0's place in the item without a version did not count: %+v", got)
	}
}

// TestReserveRacesVersionlessItem writes the item without a version
// between a Reserve's read and its write. The write must fail its
// condition, and the Reserve must read again and keep the other write.
func TestReserveRacesVersionlessItem(t *testing.T) {
	store, client := newStore(t)
	putVersionlessItem(t, client)

	hooked := &hookClient{Client: client}
	hooked.beforePut = func() {
		if got := reservationstest.Reserve(t, store, reservationstest.Reservation("DATA-1", "")); !got.Reserved {
			t.Errorf("racing place for DATA-1 rejected: %+v", got)
		}
	}
	racing := dynamo.New(hooked, "repolink-test")
	if got := reservationstest.Reserve(t, racing, reservationstest.Reservation("DATA-2", "")); !got.Reserved {
		t.Fatalf("place for DATA-2 rejected: %+v", got)
	}
	if got := hooked.puts.Load(); got != 2 {
		t.Errorf("Reserve sent %d PutItem calls, want 2: one that fails after the racing write and one after reading again", got)
	}

	item := getReservationsItem(t, client)
	if got, want := numberAttribute(t, item, "version"), "2"; got != want {
		t.Errorf("version = %s, want %s", got, want)
	}
	places := item["places"].(*types.AttributeValueMemberM).Value
	for _, request := range []string{"DATA-0", "DATA-1", "DATA-2"} {
		if _, ok := places[request]; !ok {
			t.Errorf("places %v has no entry for %s", places, request)
		}
	}
}

// TestReleaseItemWithoutVersion releases a place from an item without a
// version attribute. The place must go and the item must get version 1.
func TestReleaseItemWithoutVersion(t *testing.T) {
	store, client := newStore(t)
	putVersionlessItem(t, client)

	if err := store.Release(context.Background(), "acme-prod", "DATA-0", ""); err != nil {
		t.Fatalf("Release: %v", err)
	}
	item := getReservationsItem(t, client)
	if got, want := numberAttribute(t, item, "version"), "1"; got != want {
		t.Errorf("version = %s, want %s", got, want)
	}
	places := item["places"].(*types.AttributeValueMemberM).Value
	if _, ok := places["DATA-0"]; ok {
		t.Errorf("places %v still has DATA-0 after Release", places)
	}
}

// TestReserveRejectsTextVersion reads an item whose version is a string.
// Reserve must fail at once and name the attribute, not retry until its
// attempts run out.
func TestReserveRejectsTextVersion(t *testing.T) {
	store, client := newStore(t)
	putVersionlessItem(t, client)
	sum := sha256.Sum256([]byte("acme-prod"))
	_, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String("repolink-test"),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "endpoints#" + hex.EncodeToString(sum[:])},
			"sk": &types.AttributeValueMemberS{Value: "reservations"},
		},
		UpdateExpression:          aws.String("SET version = :text"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":text": &types.AttributeValueMemberS{Value: "1"}},
	})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}

	_, err = store.Reserve(context.Background(), reservationstest.Reservation("DATA-1", ""))
	if err == nil {
		t.Fatal("Reserve accepted an item whose version is a string")
	}
	if errors.Is(err, dynamo.ErrReservationContention) {
		t.Errorf("Reserve retried until its attempts ran out: %v", err)
	}
	if !strings.Contains(err.Error(), "attribute version") {
		t.Errorf("error %q does not name the version attribute", err)
	}
}
