// Package reservationstest checks that an implementation of
// workflow.EndpointReservations keeps the interface's contract. Each store
// package runs Run from its own tests against its real backend.
package reservationstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

// Start is the time of the first reservation in every case.
var Start = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// Limit is the maximum number of private endpoints per account in every
// case.
const Limit = 5

// OpenFunc opens a handle on one store state. Handles from the same
// OpenFunc share that state, as processes share a database.
type OpenFunc func(t *testing.T) workflow.EndpointReservations

// Run runs every contract case as a subtest. newState returns an OpenFunc
// on a new, empty state for each case. ttl is how long the implementation
// keeps a place after it was last reserved.
func Run(t *testing.T, ttl time.Duration, newState func(t *testing.T) OpenFunc) {
	cases := []struct {
		name string
		run  func(t *testing.T, open OpenFunc, ttl time.Duration)
	}{
		{"concurrent last place", testConcurrentLastPlace},
		{"concurrent last places", testConcurrentLastPlaces},
		{"counts listed and held", testCounts},
		{"expires", testExpires},
		{"renewal extends place", testRenewalExtends},
		{"accounts apart", testAccountsApart},
		{"holders exclude listed", testHoldersExcludeListed},
		{"stale listing counts new endpoint", testStaleListing},
		{"stale and fresh listings", testStaleAndFreshListings},
		{"release frees place", testReleaseFreesPlace},
		{"release only by holder", testReleaseOnlyByHolder},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newState(t), ttl)
		})
	}
}

// Reservation returns a reservation of request in account acme-prod at
// Start, with the endpoints of listed counted.
func Reservation(request, service string, listed ...string) workflow.EndpointReservation {
	return workflow.EndpointReservation{
		Account: "acme-prod", RequestID: request, ServiceID: service,
		Listed: listed, Limit: Limit, Now: Start,
	}
}

// Reserve calls s.Reserve and fails the test on an error.
func Reserve(t *testing.T, s workflow.EndpointReservations, r workflow.EndpointReservation) workflow.ReservationResult {
	t.Helper()
	got, err := s.Reserve(context.Background(), r)
	if err != nil {
		t.Fatalf("Reserve %s: %v", r.RequestID, err)
	}
	return got
}

// reserveConcurrently reserves a place for each of runs requests at once,
// spread over two handles on one state, and returns how many got one.
func reserveConcurrently(t *testing.T, open OpenFunc, runs int, listed []string) int {
	t.Helper()
	// Two handles on one state act as two processes.
	stores := []workflow.EndpointReservations{open(t), open(t)}
	results := make([]workflow.ReservationResult, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			r := Reservation(fmt.Sprintf("DATA-%d", i), "", listed...)
			results[i], errs[i] = stores[i%2].Reserve(context.Background(), r)
		})
	}
	wg.Wait()

	reserved := 0
	for i := range runs {
		if errs[i] != nil {
			t.Errorf("Reserve DATA-%d: %v", i, errs[i])
		}
		if results[i].Reserved {
			reserved++
		}
	}
	return reserved
}

func testConcurrentLastPlace(t *testing.T, open OpenFunc, _ time.Duration) {
	listed := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if reserved := reserveConcurrently(t, open, 8, listed); reserved != 1 {
		t.Errorf("runs that got the last place = %d, want 1", reserved)
	}
}

func testConcurrentLastPlaces(t *testing.T, open OpenFunc, _ time.Duration) {
	listed := []string{"svc-1", "svc-2"}
	free := Limit - len(listed)
	if reserved := reserveConcurrently(t, open, 12, listed); reserved != free {
		t.Errorf("runs that got one of the last %d places = %d, want %d", free, reserved, free)
	}

	// No place remains for a later run.
	got := Reserve(t, open(t), Reservation("DATA-100", "", listed...))
	if got.Reserved {
		t.Error("place granted after the concurrent runs took the last places")
	}
	if len(got.Holders) != free {
		t.Errorf("holders %v, want %d", got.Holders, free)
	}
}

func testCounts(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	three := []string{"svc-1", "svc-2", "svc-3"}

	if got := Reserve(t, s, Reservation("DATA-1", "", three...)); !got.Reserved {
		t.Fatalf("first place in an account with 3 endpoints rejected: %+v", got)
	}
	// Three listed endpoints and the place of DATA-1 leave one place.
	if got := Reserve(t, s, Reservation("DATA-2", "", three...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	got := Reserve(t, s, Reservation("DATA-3", "", three...))
	want := workflow.ReservationResult{Holders: []string{"DATA-1", "DATA-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place past the limit (-want +got):\n%s", diff)
	}

	// A request that holds a place keeps it, even when the account filled
	// up meanwhile.
	full := []string{"svc-1", "svc-2", "svc-3", "svc-4", "svc-5"}
	if got := Reserve(t, s, Reservation("DATA-1", "SVC-A", full...)); !got.Reserved {
		t.Errorf("holder lost its place: %+v", got)
	}

	// Once DATA-1's endpoint is listed, its place counts only once, and
	// the place of DATA-2 still counts.
	withA := []string{"svc-1", "svc-2", "svc-a"}
	if got := Reserve(t, s, Reservation("DATA-3", "", withA...)); !got.Reserved {
		t.Errorf("place with DATA-1's endpoint listed rejected: %+v", got)
	}
	if got := Reserve(t, s, Reservation("DATA-4", "", withA...)); got.Reserved {
		t.Errorf("place past the limit with DATA-1's endpoint listed granted")
	}
}

func testExpires(t *testing.T, open OpenFunc, ttl time.Duration) {
	s := open(t)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := Reserve(t, s, Reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}

	late := Reservation("DATA-2", "", four...)
	late.Now = Start.Add(ttl - time.Minute)
	if got := Reserve(t, s, late); got.Reserved {
		t.Errorf("place granted while DATA-1's place is held")
	}
	late.Now = Start.Add(ttl + time.Minute)
	if got := Reserve(t, s, late); !got.Reserved {
		t.Errorf("place rejected after DATA-1's place expired: %+v", got)
	}
}

func testRenewalExtends(t *testing.T, open OpenFunc, ttl time.Duration) {
	s := open(t)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := Reserve(t, s, Reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	renewal := Reservation("DATA-1", "", four...)
	renewal.Now = Start.Add(ttl - time.Minute)
	if got := Reserve(t, s, renewal); !got.Reserved {
		t.Fatalf("renewal of DATA-1's place rejected: %+v", got)
	}

	// The place now lasts ttl from the renewal, not from the first
	// reservation.
	late := Reservation("DATA-2", "", four...)
	late.Now = Start.Add(ttl + time.Minute)
	got := Reserve(t, s, late)
	want := workflow.ReservationResult{Holders: []string{"DATA-1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place after the first reservation's ttl (-want +got):\n%s", diff)
	}
	late.Now = renewal.Now.Add(ttl + time.Minute)
	if got := Reserve(t, s, late); !got.Reserved {
		t.Errorf("place rejected after the renewed place expired: %+v", got)
	}
}

func testAccountsApart(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := Reserve(t, s, Reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	other := Reservation("DATA-2", "", four...)
	other.Account = "acme-test"
	if got := Reserve(t, s, other); !got.Reserved {
		t.Errorf("place in another account rejected: %+v", got)
	}
	sameAccount := Reservation("DATA-3", "", four...)
	sameAccount.Account = "ACME-PROD"
	if got := Reserve(t, s, sameAccount); got.Reserved {
		t.Errorf("place granted in the same account spelled in upper case")
	}
	// gosnowflake logs in to acme-prod for acme-prod.us-west-2 too.
	withSuffix := Reservation("DATA-4", "", four...)
	withSuffix.Account = "acme-prod.us-west-2"
	if got := Reserve(t, s, withSuffix); got.Reserved {
		t.Errorf("place granted in the same account written with a region suffix")
	}
}

func testHoldersExcludeListed(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	two := []string{"svc-1", "svc-2"}
	for _, r := range []workflow.EndpointReservation{
		Reservation("DATA-100", "SVC-A", two...),
		Reservation("DATA-201", "svc-b", two...),
		Reservation("DATA-300", "", two...),
	} {
		if got := Reserve(t, s, r); !got.Reserved {
			t.Fatalf("place for %s rejected: %+v", r.RequestID, got)
		}
	}

	// The endpoints of DATA-100 and DATA-201 are listed now, so only the
	// place of DATA-300 counts beside the four listed endpoints.
	four := []string{"svc-1", "svc-2", "svc-a", "svc-b"}
	got := Reserve(t, s, Reservation("DATA-400", "", four...))
	want := workflow.ReservationResult{Holders: []string{"DATA-300"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place past the limit (-want +got):\n%s", diff)
	}

	// The places of listed endpoints stay, so a listing taken before those
	// endpoints existed counts them as places.
	got = Reserve(t, s, Reservation("DATA-500", "", two...))
	want = workflow.ReservationResult{Holders: []string{"DATA-100", "DATA-201", "DATA-300"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place with a listing older than the endpoints (-want +got):\n%s", diff)
	}
}

// The endpoint of svc-a is created after the listing stale was taken and
// before the listing fresh was taken.
var (
	stale = []string{"svc-1", "svc-2", "svc-3"}
	fresh = []string{"svc-1", "svc-2", "svc-3", "svc-a"}
)

// reserveEndpoint reserves a place in account for request with listing,
// then renews it with service as the endpoint step does, before it
// creates the endpoint.
func reserveEndpoint(t *testing.T, s workflow.EndpointReservations, account, request, service string, listing []string) {
	t.Helper()
	r := Reservation(request, "", listing...)
	r.Account = account
	if got := Reserve(t, s, r); !got.Reserved {
		t.Fatalf("place for %s in %s rejected: %+v", request, account, got)
	}
	r.ServiceID = service
	if got := Reserve(t, s, r); !got.Reserved {
		t.Fatalf("renewal of %s's place in %s with service %s rejected: %+v", request, account, service, got)
	}
}

func testStaleListing(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	// Three endpoints and the places of DATA-1 and DATA-2 fill the
	// account. Then DATA-1's endpoint svc-a is created.
	reserveEndpoint(t, s, "acme-prod", "DATA-1", "svc-a", stale)
	if got := Reserve(t, s, Reservation("DATA-2", "", stale...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}

	// A run with a listing that contains svc-a counts it once.
	got := Reserve(t, s, Reservation("DATA-3", "", fresh...))
	want := workflow.ReservationResult{Holders: []string{"DATA-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place with svc-a listed (-want +got):\n%s", diff)
	}

	// A run whose listing was taken before svc-a was created, and that
	// reserves after the run above, still counts svc-a through DATA-1's
	// place.
	got = Reserve(t, s, Reservation("DATA-4", "", stale...))
	want = workflow.ReservationResult{Holders: []string{"DATA-1", "DATA-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place with a listing older than svc-a (-want +got):\n%s", diff)
	}
}

// testStaleAndFreshListings reserves for four requests, two with a
// listing taken before DATA-1's endpoint was created and two with one
// taken after, in every order. The account has three endpoints besides
// DATA-1's, so exactly one of the four gets the last place. Each order
// runs in its own account.
func testStaleAndFreshListings(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	runs := []struct {
		request string
		listing []string
	}{
		{"DATA-10", fresh},
		{"DATA-11", stale},
		{"DATA-12", stale},
		{"DATA-13", fresh},
	}
	for n, order := range permutations(len(runs)) {
		account := fmt.Sprintf("acme-order-%d", n)
		reserveEndpoint(t, s, account, "DATA-1", "svc-a", stale)

		var granted []string
		for _, i := range order {
			r := Reservation(runs[i].request, "", runs[i].listing...)
			r.Account = account
			if got := Reserve(t, s, r); got.Reserved {
				granted = append(granted, runs[i].request)
			}
		}
		if len(granted) != 1 {
			t.Errorf("order %v: requests granted the last place = %v, want exactly one", order, granted)
		}
	}
}

// permutations returns every order of the indexes 0 to n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var orders [][]int
	for _, shorter := range permutations(n - 1) {
		for at := range n {
			order := slices.Insert(slices.Clone(shorter), at, n-1)
			orders = append(orders, order)
		}
	}
	return orders
}

func testReleaseFreesPlace(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := Reserve(t, s, Reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	if got := Reserve(t, s, Reservation("DATA-2", "", four...)); got.Reserved {
		t.Fatalf("place granted while DATA-1's place is held")
	}

	if err := s.Release(context.Background(), "ACME-PROD", "DATA-1", ""); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := Reserve(t, s, Reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after DATA-1 released its place: %+v", got)
	}
	if err := s.Release(context.Background(), "acme-prod", "DATA-9", ""); err != nil {
		t.Errorf("Release of a request without a place: %v", err)
	}
	if err := s.Release(context.Background(), "acme-other", "DATA-9", "DATA-9"); err != nil {
		t.Errorf("Release in an account without places: %v", err)
	}
}

func testReleaseOnlyByHolder(t *testing.T, open OpenFunc, _ time.Duration) {
	s := open(t)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	first := Reservation("DATA-1", "", four...)
	first.Execution = "DATA-1"
	if got := Reserve(t, s, first); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}

	// The next run of the request reserves before the first run's close
	// is handled, and takes the place over.
	next := Reservation("DATA-1", "", four...)
	next.Execution = "DATA-1-r2"
	if got := Reserve(t, s, next); !got.Reserved {
		t.Fatalf("next run of DATA-1 rejected: %+v", got)
	}
	if err := s.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release by DATA-1: %v", err)
	}
	if got := Reserve(t, s, Reservation("DATA-2", "", four...)); got.Reserved {
		t.Error("place granted after the first run closed, while DATA-1-r2 holds it")
	}

	if err := s.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1-r2"); err != nil {
		t.Fatalf("Release by DATA-1-r2: %v", err)
	}
	if got := Reserve(t, s, Reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after its holder DATA-1-r2 released it: %+v", got)
	}
}
