package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations/backoff"
	"github.com/repolink/repolink/shared/workflow"
)

// reservationsSortKey is the sort key of every reservations item.
const reservationsSortKey = "reservations"

// Attributes of a reservations item besides the keys.
const (
	attrAccount = "account"
	// attrVersion counts the item's writes. Every write of the item is
	// conditional on the version that its caller read.
	attrVersion = "version"
	// attrPlaces maps the request ID of each place to a map with the
	// attributes service, reserved_at and execution.
	attrPlaces     = "places"
	attrService    = "service"
	attrReservedAt = "reserved_at"
)

// DefaultReservationTTL is how long a place stays reserved after its last
// reservation, the same as reservations.TTL of the single-machine store.
// Preflight reserves and the endpoint step renews minutes later, so the
// bound leaves room for that step's retries and frees the place of a run
// that stopped before its endpoint step.
const DefaultReservationTTL = 2 * time.Hour

// maxReserveAttempts is the maximum number of read and conditional write
// rounds of one Reserve. A round's write fails when another caller wrote
// the account's item since the read, or the TTL deleted it.
const maxReserveAttempts = 10

// ErrReservationContention is returned when other callers changed an
// account's reservations during every round of one Reserve.
var ErrReservationContention = errors.New("the account's endpoint reservations changed during every attempt")

var _ workflow.EndpointReservations = (*Store)(nil)

// reservationsPartition keys the one item that contains all places of an
// account, by its request.AccountKey. The stack in infra/ lets the step
// roles reach only partition keys that start with "endpoints#", so the
// prefix changes only with it.
func reservationsPartition(account string) string {
	return "endpoints#" + hashKey(request.AccountKey(account))
}

// place is one request's reservation.
type place struct {
	// service is the provider service of the request's endpoint, or ""
	// before the run has built it.
	service string
	// reservedAt is the time of the last reservation, in Unix seconds.
	reservedAt int64
	// execution is the ID of the run that owns the place, or "".
	execution string
}

// accountPlaces is the stored state of an account's places.
type accountPlaces struct {
	// found is true when the account has an item.
	found bool
	// version is the item's version attribute. An item without one, such
	// as one written by hand, has version 0 and versioned false.
	version   int64
	versioned bool
	places    map[string]place
}

// Reserve implements workflow.EndpointReservations. It reads the
// account's item, updates the places it contains, and writes the item back
// on the condition that its version did not change, in up to
// maxReserveAttempts rounds. Service IDs are compared without case,
// because Azure resource IDs ignore case.
func (s *Store) Reserve(ctx context.Context, r workflow.EndpointReservation) (workflow.ReservationResult, error) {
	if r.Account == "" || r.RequestID == "" {
		return workflow.ReservationResult{}, workflow.Invalid("aws: dynamodb reserve a private endpoint: account and request ID are required")
	}
	for attempt := range maxReserveAttempts {
		if err := backoff.Pause(ctx, attempt); err != nil {
			return workflow.ReservationResult{}, err
		}
		stored, err := s.readPlaces(ctx, r.Account)
		if err != nil {
			return workflow.ReservationResult{}, err
		}

		places := maps.Clone(stored.places)
		changed := dropExpired(places, r.Now.Add(-s.ReservationTTL).Unix())
		current, reserved := places[r.RequestID]
		counted := unlisted(places, r.Listed)
		if !reserved && len(r.Listed)+len(counted) >= r.Limit {
			result := workflow.ReservationResult{Holders: counted}
			if !changed {
				return result, nil
			}
			// The rejection is final, but the expired places are
			// dropped, so that the item does not keep them.
			written, err := s.writePlaces(ctx, r.Account, stored, places, r.Now)
			if err != nil {
				return workflow.ReservationResult{}, err
			}
			if written {
				return result, nil
			}
			continue
		}

		if r.ServiceID != "" {
			current.service = r.ServiceID
		}
		places[r.RequestID] = place{service: current.service, reservedAt: r.Now.Unix(), execution: r.Execution}
		written, err := s.writePlaces(ctx, r.Account, stored, places, r.Now)
		if err != nil {
			return workflow.ReservationResult{}, err
		}
		if written {
			return workflow.ReservationResult{Reserved: true}, nil
		}
	}
	return workflow.ReservationResult{}, fmt.Errorf("aws: dynamodb reserve a private endpoint of %s for %s in table %s: %w (%d attempts), "+
		"because other runs of the account reserve at the same time; retry the step",
		r.Account, r.RequestID, s.table, ErrReservationContention, maxReserveAttempts)
}

// dropExpired removes the places reserved before the Unix time
// expiredBefore and reports whether it removed any. A place whose endpoint
// is listed stays until it expires, because another caller may hold a
// listing taken before that endpoint existed, and the place is all that
// makes that caller count the endpoint.
func dropExpired(places map[string]place, expiredBefore int64) bool {
	changed := false
	for request, p := range places {
		if p.reservedAt < expiredBefore {
			delete(places, request)
			changed = true
		}
	}
	return changed
}

// unlisted returns the sorted requests among places whose endpoint is not
// among listed, so their places count beside the listed endpoints. A
// place whose endpoint is listed counts once, as that endpoint. Service
// IDs are compared without case.
func unlisted(places map[string]place, listed []string) []string {
	var requests []string
	for request, p := range places {
		isListed := p.service != "" && slices.ContainsFunc(listed, func(v string) bool { return strings.EqualFold(v, p.service) })
		if !isListed {
			requests = append(requests, request)
		}
	}
	slices.Sort(requests)
	return requests
}

// Release implements workflow.EndpointReservations. One UpdateItem removes
// the place on the condition that it exists and, when execution is set,
// that execution owns it or no owner was recorded. It also raises the
// item's version, from 0 when the item has none, so that a Reserve that
// read the place before fails its write and reads again.
func (s *Store) Release(ctx context.Context, account, requestID, execution string) error {
	names := map[string]string{
		"#places":  attrPlaces,
		"#request": requestID,
		"#version": attrVersion,
	}
	values := map[string]types.AttributeValue{":one": numberAttr(1), ":zero": numberAttr(0)}
	condition := "attribute_exists(#places.#request)"
	if execution != "" {
		names["#execution"] = attrExecution
		values[":execution"] = stringAttr(execution)
		condition += " AND (attribute_not_exists(#places.#request.#execution) OR #places.#request.#execution = :execution)"
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.tableName(),
		Key:                       key(reservationsPartition(account), reservationsSortKey),
		UpdateExpression:          aws.String("REMOVE #places.#request SET #version = if_not_exists(#version, :zero) + :one"),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		// The request has no place, or another execution owns it.
		return nil
	}
	if err != nil {
		return s.classify(err, "release the private endpoint reservation of %s in %s", requestID, account)
	}
	return nil
}

// readPlaces reads the account's item with a strongly consistent GetItem.
func (s *Store) readPlaces(ctx context.Context, account string) (accountPlaces, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.tableName(),
		Key:            key(reservationsPartition(account), reservationsSortKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return accountPlaces{}, s.classify(err, "read endpoint reservations of %s", account)
	}
	stored := accountPlaces{places: map[string]place{}}
	if out.Item == nil {
		return stored, nil
	}
	stored.found = true
	if v, ok := out.Item[attrVersion]; ok {
		if _, number := v.(*types.AttributeValueMemberN); !number {
			return accountPlaces{}, fmt.Errorf("aws: dynamodb read endpoint reservations of %s in table %s: attribute %s is %T, want a number; "+
				"set it to a number or remove it", account, s.table, attrVersion, v)
		}
		stored.versioned = true
	}
	stored.version, err = numberOf(out.Item, attrVersion)
	if err != nil {
		return accountPlaces{}, fmt.Errorf("aws: dynamodb read endpoint reservations of %s in table %s: %w", account, s.table, err)
	}
	m, _ := out.Item[attrPlaces].(*types.AttributeValueMemberM)
	if m == nil {
		return stored, nil
	}
	for request, v := range m.Value {
		attrs, ok := v.(*types.AttributeValueMemberM)
		if !ok {
			return accountPlaces{}, fmt.Errorf("aws: dynamodb read endpoint reservations of %s in table %s: place of %s is %T, want a map", account, s.table, request, v)
		}
		reservedAt, err := numberOf(attrs.Value, attrReservedAt)
		if err != nil {
			return accountPlaces{}, fmt.Errorf("aws: dynamodb read endpoint reservations of %s in table %s: place of %s: %w", account, s.table, request, err)
		}
		stored.places[request] = place{
			service:    stringOf(attrs.Value, attrService),
			reservedAt: reservedAt,
			execution:  stringOf(attrs.Value, attrExecution),
		}
	}
	return stored, nil
}

// writePlaces stores places as the account's item on the condition that
// the item is still as readPlaces found it in stored: absent, present
// without a version attribute, or present with the same version. It returns false when the
// condition failed. The item expires one TTL after its latest place was
// reserved, so it outlives every place.
func (s *Store) writePlaces(ctx context.Context, account string, stored accountPlaces, places map[string]place, now time.Time) (bool, error) {
	item := key(reservationsPartition(account), reservationsSortKey)
	item[attrAccount] = stringAttr(strings.ToLower(account))
	item[attrVersion] = numberAttr(stored.version + 1)
	latest := now.Unix()
	values := make(map[string]types.AttributeValue, len(places))
	for request, p := range places {
		attrs := map[string]types.AttributeValue{attrReservedAt: numberAttr(p.reservedAt)}
		// An empty service or holder is left out, because Release tests
		// for a place without a holder with attribute_not_exists.
		if p.service != "" {
			attrs[attrService] = stringAttr(p.service)
		}
		if p.execution != "" {
			attrs[attrExecution] = stringAttr(p.execution)
		}
		values[request] = &types.AttributeValueMemberM{Value: attrs}
		latest = max(latest, p.reservedAt)
	}
	item[attrPlaces] = &types.AttributeValueMemberM{Value: values}
	item[attrExpiresAt] = numberAttr(latest + int64(s.ReservationTTL/time.Second))

	in := &dynamodb.PutItemInput{TableName: s.tableName(), Item: item}
	switch {
	case !stored.found:
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	case !stored.versioned:
		// A write by another caller adds a version, so this condition
		// fails after any write since the read, as the version check does.
		in.ConditionExpression = aws.String("attribute_exists(pk) AND attribute_not_exists(#version)")
		in.ExpressionAttributeNames = map[string]string{"#version": attrVersion}
	default:
		in.ConditionExpression = aws.String("#version = :version")
		in.ExpressionAttributeNames = map[string]string{"#version": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":version": numberAttr(stored.version)}
	}
	_, err := s.client.PutItem(ctx, in)
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "write endpoint reservations of %s", account)
	}
	return true, nil
}

// numberOf returns the number attribute name of item as an integer, or 0
// when the item has none.
func numberOf(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s = %q is not an integer: %w", name, v.Value, err)
	}
	return n, nil
}
