package gcp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	firestore "google.golang.org/api/firestore/v1"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// ReservationTTL is how long a place stays reserved after its run last
// reserved it. A run reserves at preflight and renews at the endpoint step,
// which normally comes minutes later, so the bound leaves room for that
// step's retries. A place ends earlier only when it is released, such as
// by the teardown of the request. A place whose endpoint is listed stays
// until the TTL too, so that a caller whose listing was taken before the
// endpoint was created still counts it. The TTL frees
// the place of a run that failed or was cancelled, because the Cloud
// Functions deployment does not release a place when a run closes.
const ReservationTTL = 2 * time.Hour

// The reservation documents are in the subcollection accounts of the
// document endpoint-reservations of the waits collection. That document is
// never written. Firestore does not list a missing document, so listing the
// waits returns no reservation. No wait has the ID endpoint-reservations,
// because a wait ID is 64 hex digits.
const (
	reservationsDocumentID   = "endpoint-reservations"
	reservationsCollectionID = "accounts"
)

// Fields of a reservation document and of each of its places.
const (
	fieldAccount    = "account"
	fieldPlaces     = "places"
	fieldRequest    = "request"
	fieldService    = "service"
	fieldReservedAt = "reserved_at"
)

// EndpointReservations is the workflow.EndpointReservations on Firestore,
// next to the waits. Each Snowflake account has one document that contains
// its places. Its ID is the hex SHA-256 of the lowercase account name, so
// any account name gives a valid ID. Reserve and Release read the document
// and write it back with the precondition that its update time is still
// the one they read, so two callers in any processes never both take the
// last place. It is safe for concurrent use.
type EndpointReservations struct {
	// The subcollections are those of the document endpoint-reservations.
	subcollections
}

var _ workflow.EndpointReservations = (*EndpointReservations)(nil)

// NewEndpointReservations builds the Firestore client from opts, as
// NewWaits does, for the reservations under the waits collection of cfg.
// An invalid cfg gives an InvalidRequest error that lists every problem.
func NewEndpointReservations(ctx context.Context, opts Options, cfg WaitsConfig) (*EndpointReservations, error) {
	sub, err := openSubcollections(ctx, opts, cfg, reservationsDocumentID)
	if err != nil {
		return nil, err
	}
	return &EndpointReservations{subcollections: sub}, nil
}

// Collection returns the resource name of the collection of reservation
// documents, such as
// projects/p/databases/(default)/documents/repolink-waits/endpoint-reservations/accounts.
func (s *EndpointReservations) Collection() string {
	return s.parent + "/" + reservationsCollectionID
}

// DocumentName returns the resource name of the reservation document of
// account, which request.AccountKey names.
func (s *EndpointReservations) DocumentName(account string) string {
	return s.Collection() + "/" + documentID(request.AccountKey(account))
}

// place is one request's place among an account's private endpoints.
type place struct {
	request   string
	execution string
	// service is the provider service of the request's endpoint, or ""
	// before the run has built it.
	service    string
	reservedAt time.Time
}

// Reserve implements workflow.EndpointReservations. Account names are
// compared without case, like Snowflake account identifiers, and service
// IDs too, because Azure resource IDs ignore case. The place records
// r.Execution as its holder, so a later run of the request takes it over.
func (s *EndpointReservations) Reserve(ctx context.Context, r workflow.EndpointReservation) (workflow.ReservationResult, error) {
	var result workflow.ReservationResult
	err := s.updatePlaces(ctx, r.Account, "reserve a private endpoint of "+r.Account+" for "+r.RequestID,
		func(places []place) ([]place, bool) {
			// A place whose endpoint is listed stays until it expires,
			// because another caller may hold a listing taken before that
			// endpoint existed, and the place is all that makes that
			// caller count the endpoint.
			active := slices.DeleteFunc(places, func(p place) bool {
				return p.reservedAt.Before(r.Now.Add(-ReservationTTL))
			})
			// Expired places end even when the reservation is rejected.
			changed := len(active) != len(places)

			own := slices.IndexFunc(active, func(p place) bool { return p.request == r.RequestID })
			counted := unlisted(active, r.Listed)
			if own < 0 && len(r.Listed)+len(counted) >= r.Limit {
				result = workflow.ReservationResult{Holders: holders(counted)}
				return active, changed
			}
			result = workflow.ReservationResult{Reserved: true}
			if own < 0 {
				active = append(active, place{request: r.RequestID})
				own = len(active) - 1
			}
			active[own].execution = r.Execution
			active[own].reservedAt = r.Now
			if r.ServiceID != "" {
				active[own].service = r.ServiceID
			}
			return active, true
		})
	if err != nil {
		return workflow.ReservationResult{}, err
	}
	return result, nil
}

// Release implements workflow.EndpointReservations. A place without a
// recorded holder matches any execution.
func (s *EndpointReservations) Release(ctx context.Context, account, requestID, execution string) error {
	return s.updatePlaces(ctx, account, "release the private endpoint reservation of "+requestID+" in "+account,
		func(places []place) ([]place, bool) {
			remaining := slices.DeleteFunc(places, func(p place) bool {
				return p.request == requestID && (execution == "" || p.execution == "" || p.execution == execution)
			})
			return remaining, len(remaining) != len(places)
		})
}

// updatePlaces reads the places of account, passes them to change, and
// writes the places that change returns when it reports a change, with the
// retries of update. op names the operation in errors.
func (s *EndpointReservations) updatePlaces(ctx context.Context, account, op string, change func([]place) ([]place, bool)) error {
	return s.update(ctx, reservationsCollectionID, request.AccountKey(account), op,
		func(doc *firestore.Document) (*firestore.Document, bool, error) {
			places, err := decodePlaces(doc)
			if err != nil {
				return nil, false, err
			}
			updated, changed := change(places)
			if !changed {
				return nil, false, nil
			}
			return encodePlaces(account, updated), true, nil
		})
}

// encodePlaces returns the reservation document of account with places.
// The places are an array of maps, which the Firestore console shows
// field by field.
func encodePlaces(account string, places []place) *firestore.Document {
	values := make([]*firestore.Value, 0, len(places))
	for _, p := range places {
		values = append(values, &firestore.Value{MapValue: &firestore.MapValue{Fields: map[string]firestore.Value{
			fieldRequest:    stringValue(p.request),
			fieldExecution:  stringValue(p.execution),
			fieldService:    stringValue(p.service),
			fieldReservedAt: {TimestampValue: p.reservedAt.UTC().Format(time.RFC3339Nano)},
		}}})
	}
	return &firestore.Document{Fields: map[string]firestore.Value{
		fieldAccount: stringValue(request.AccountKey(account)),
		fieldPlaces:  {ArrayValue: &firestore.ArrayValue{Values: values}},
	}}
}

// decodePlaces returns the places of a reservation document, or none for a
// nil document. A place without a request or a valid reserved_at is an
// error that names the document, so that an operator can fix or delete it.
func decodePlaces(doc *firestore.Document) ([]place, error) {
	if doc == nil {
		return nil, nil
	}
	array := doc.Fields[fieldPlaces].ArrayValue
	if array == nil {
		return nil, nil
	}
	places := make([]place, 0, len(array.Values))
	for i, v := range array.Values {
		if v == nil || v.MapValue == nil {
			return nil, fmt.Errorf("gcp: firestore decode reservation document %s: place %d is not a map", doc.Name, i)
		}
		fields := v.MapValue.Fields
		p := place{
			request:   fields[fieldRequest].StringValue,
			execution: fields[fieldExecution].StringValue,
			service:   fields[fieldService].StringValue,
		}
		if p.request == "" {
			return nil, fmt.Errorf("gcp: firestore decode reservation document %s: place %d has no %s", doc.Name, i, fieldRequest)
		}
		reservedAt, err := time.Parse(time.RFC3339Nano, fields[fieldReservedAt].TimestampValue)
		if err != nil {
			return nil, fmt.Errorf("gcp: firestore decode reservation document %s: place %d of %s has an invalid %s: %w",
				doc.Name, i, p.request, fieldReservedAt, err)
		}
		p.reservedAt = reservedAt
		places = append(places, p)
	}
	return places, nil
}

// unlisted returns the places whose endpoint is not among listed, so they
// count beside the listed endpoints. A place whose endpoint is listed
// counts once, as that endpoint.
func unlisted(places []place, listed []string) []place {
	var counted []place
	for _, p := range places {
		if p.service == "" || !containsFold(listed, p.service) {
			counted = append(counted, p)
		}
	}
	return counted
}

// holders returns the sorted request IDs of places.
func holders(places []place) []string {
	out := make([]string, 0, len(places))
	for _, p := range places {
		out = append(out, p.request)
	}
	slices.Sort(out)
	return out
}

func containsFold(values []string, value string) bool {
	return slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, value) })
}
