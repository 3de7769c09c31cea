package gcp

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	firestore "google.golang.org/api/firestore/v1"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

var reservationStart = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// newTestReservations returns a store on the simulator whose requests
// transport sends; nil means http.DefaultTransport.
func newTestReservations(t *testing.T, sim *gcpsim.Server, transport http.RoundTripper) *EndpointReservations {
	t.Helper()
	if transport == nil {
		transport = http.DefaultTransport
	}
	store, err := NewEndpointReservations(context.Background(), Options{
		Endpoint:      sim.URL(),
		ClientOptions: []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: transport})},
		CallTimeout:   5 * time.Second,
	}, WaitsConfig{Project: project, Collection: waitsCollection})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func testReservation(request, service string, listed ...string) workflow.EndpointReservation {
	return workflow.EndpointReservation{
		Account: "acme-prod", RequestID: request, ServiceID: service,
		Listed: listed, Limit: 5, Now: reservationStart,
	}
}

func mustReserve(t *testing.T, s *EndpointReservations, r workflow.EndpointReservation) workflow.ReservationResult {
	t.Helper()
	got, err := s.Reserve(context.Background(), r)
	if err != nil {
		t.Fatalf("Reserve %s: %v", r.RequestID, err)
	}
	return got
}

// readBarrier holds the response of each of the first n reads of
// reservation documents until all n reads have reached the server, so that
// n callers all read the same version of a document before any of them
// writes. A read after the first n passes at once.
type readBarrier struct {
	n       int32
	reads   atomic.Int32
	release chan struct{}
}

func newReadBarrier(n int) *readBarrier {
	return &readBarrier{n: int32(n), release: make(chan struct{})}
}

func (b *readBarrier) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/"+reservationsDocumentID+"/") {
		return resp, err
	}
	switch count := b.reads.Add(1); {
	case count == b.n:
		close(b.release)
	case count < b.n:
		select {
		case <-b.release:
		case <-time.After(10 * time.Second):
			// A caller that never reads would otherwise hang the test.
		}
	}
	return resp, err
}

// TestReservationsConcurrentLastPlace runs callers on two clients, as two
// function instances, that all read the account's document before any of
// them writes. Without the update time precondition on the patch, or with
// a create that replaced an existing document, every caller would get the
// place.
func TestReservationsConcurrentLastPlace(t *testing.T) {
	three := []string{"svc-1", "svc-2", "svc-3"}
	tests := []struct {
		name string
		// reservedBefore are requests that reserve before the race, so
		// that the callers patch an existing document instead of creating
		// it.
		reservedBefore []string
		listed         []string
	}{
		{name: "document exists", reservedBefore: []string{"DATA-0"}, listed: three},
		{name: "document missing", listed: append(three, "svc-4")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startWaitsSim(t, "", 0)
			setup := newTestReservations(t, sim, nil)
			for _, request := range tt.reservedBefore {
				if got := mustReserve(t, setup, testReservation(request, "", tt.listed...)); !got.Reserved {
					t.Fatalf("place for %s rejected: %+v", request, got)
				}
			}

			const runs = 8
			barrier := newReadBarrier(runs)
			stores := []*EndpointReservations{newTestReservations(t, sim, barrier), newTestReservations(t, sim, barrier)}
			results := make([]workflow.ReservationResult, runs)
			errs := make([]error, runs)
			var wg sync.WaitGroup
			for i := range runs {
				wg.Go(func() {
					r := testReservation(fmt.Sprintf("DATA-%d", i+1), "", tt.listed...)
					results[i], errs[i] = stores[i%2].Reserve(context.Background(), r)
				})
			}
			wg.Wait()

			reserved := 0
			for i := range runs {
				if errs[i] != nil {
					t.Errorf("Reserve DATA-%d: %v", i+1, errs[i])
				}
				if results[i].Reserved {
					reserved++
				}
			}
			if reserved != 1 {
				t.Errorf("runs that got the last place = %d, want 1", reserved)
			}
			// The document agrees with the results: one place more than
			// before the race.
			doc, err := setup.get(context.Background(), setup.DocumentName("acme-prod"))
			if err != nil {
				t.Fatal(err)
			}
			places, err := decodePlaces(doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(places) != len(tt.reservedBefore)+1 {
				t.Errorf("stored places = %d, want %d", len(places), len(tt.reservedBefore)+1)
			}
		})
	}
}

func TestReservationsConcurrentFreePlaces(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	stores := []*EndpointReservations{newTestReservations(t, sim, nil), newTestReservations(t, sim, nil)}

	// Five places are free and twelve runs reserve at once.
	const runs = 12
	results := make([]workflow.ReservationResult, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			results[i], errs[i] = stores[i%2].Reserve(context.Background(), testReservation(fmt.Sprintf("DATA-%d", i+1), ""))
		})
	}
	wg.Wait()

	reserved := 0
	for i := range runs {
		if errs[i] != nil {
			t.Errorf("Reserve DATA-%d: %v", i+1, errs[i])
		}
		if results[i].Reserved {
			reserved++
		}
	}
	if reserved != 5 {
		t.Errorf("runs that got a place = %d, want 5", reserved)
	}
}

func TestReservationsCounts(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	three := []string{"svc-1", "svc-2", "svc-3"}

	if got := mustReserve(t, s, testReservation("DATA-1", "", three...)); !got.Reserved {
		t.Fatalf("first place in an account with 3 endpoints rejected: %+v", got)
	}
	// Three listed endpoints and the place of DATA-1 leave one place.
	if got := mustReserve(t, s, testReservation("DATA-2", "", three...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	got := mustReserve(t, s, testReservation("DATA-3", "", three...))
	want := workflow.ReservationResult{Holders: []string{"DATA-1", "DATA-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place past the limit (-want +got):\n%s", diff)
	}

	// A request that holds a place keeps it, even when the account filled
	// up meanwhile.
	full := []string{"svc-1", "svc-2", "svc-3", "svc-4", "svc-5"}
	if got := mustReserve(t, s, testReservation("DATA-1", "SVC-A", full...)); !got.Reserved {
		t.Errorf("holder lost its place: %+v", got)
	}

	// Once DATA-1's endpoint is listed, its place counts only once, and
	// the place of DATA-2 still counts.
	withA := []string{"svc-1", "svc-2", "svc-a"}
	if got := mustReserve(t, s, testReservation("DATA-3", "", withA...)); !got.Reserved {
		t.Errorf("place with DATA-1's endpoint listed rejected: %+v", got)
	}
	if got := mustReserve(t, s, testReservation("DATA-4", "", withA...)); got.Reserved {
		t.Errorf("place past the limit with DATA-1's endpoint listed granted")
	}
}

func TestReservationsExpire(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := mustReserve(t, s, testReservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}

	late := testReservation("DATA-2", "", four...)
	late.Now = reservationStart.Add(ReservationTTL - time.Minute)
	if got := mustReserve(t, s, late); got.Reserved {
		t.Errorf("place granted while DATA-1's place is held")
	}
	late.Now = reservationStart.Add(ReservationTTL + time.Minute)
	if got := mustReserve(t, s, late); !got.Reserved {
		t.Errorf("place rejected after DATA-1's place expired: %+v", got)
	}
}

func TestReservationsRenew(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := mustReserve(t, s, testReservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	// The endpoint step renews the place an hour later.
	renew := testReservation("DATA-1", "svc-a", four...)
	renew.Now = reservationStart.Add(time.Hour)
	if got := mustReserve(t, s, renew); !got.Reserved {
		t.Fatalf("renewal rejected: %+v", got)
	}

	late := testReservation("DATA-2", "", four...)
	late.Now = reservationStart.Add(ReservationTTL + time.Minute)
	if got := mustReserve(t, s, late); got.Reserved {
		t.Errorf("place granted although DATA-1 renewed its place")
	}
}

func TestReservationsAccountsApart(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := mustReserve(t, s, testReservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	other := testReservation("DATA-2", "", four...)
	other.Account = "acme-test"
	if got := mustReserve(t, s, other); !got.Reserved {
		t.Errorf("place in another account rejected: %+v", got)
	}
	sameAccount := testReservation("DATA-3", "", four...)
	sameAccount.Account = "ACME-PROD"
	if got := mustReserve(t, s, sameAccount); got.Reserved {
		t.Errorf("place granted in the same account spelled in upper case")
	}
}

func TestReservationsHoldersExcludeListed(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	two := []string{"svc-1", "svc-2"}
	for _, r := range []workflow.EndpointReservation{
		testReservation("DATA-100", "SVC-A", two...),
		testReservation("DATA-201", "svc-b", two...),
		testReservation("DATA-300", "", two...),
	} {
		if got := mustReserve(t, s, r); !got.Reserved {
			t.Fatalf("place for %s rejected: %+v", r.RequestID, got)
		}
	}

	// The endpoints of DATA-100 and DATA-201 are listed now, so only the
	// place of DATA-300 counts beside the four listed endpoints.
	four := []string{"svc-1", "svc-2", "svc-a", "svc-b"}
	got := mustReserve(t, s, testReservation("DATA-400", "", four...))
	want := workflow.ReservationResult{Holders: []string{"DATA-300"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place past the limit (-want +got):\n%s", diff)
	}

	// The places of listed endpoints have ended: when those endpoints are
	// gone from the list, they no longer count.
	if got := mustReserve(t, s, testReservation("DATA-500", "", "svc-1", "svc-2", "svc-3")); !got.Reserved {
		t.Errorf("place rejected after listed endpoints' places ended: %+v", got)
	}
}

func TestReservationsReleaseFreesPlace(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	ctx := context.Background()
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if err := s.Release(ctx, "acme-prod", "DATA-1", ""); err != nil {
		t.Errorf("Release in an account without a document: %v", err)
	}
	if got := mustReserve(t, s, testReservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	if got := mustReserve(t, s, testReservation("DATA-2", "", four...)); got.Reserved {
		t.Fatalf("place granted while DATA-1's place is held")
	}

	if err := s.Release(ctx, "ACME-PROD", "DATA-1", ""); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := mustReserve(t, s, testReservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after DATA-1 released its place: %+v", got)
	}
	if err := s.Release(ctx, "acme-prod", "DATA-9", ""); err != nil {
		t.Errorf("Release of a request without a place: %v", err)
	}
}

func TestReservationsReleaseOnlyByHolder(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	ctx := context.Background()
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	first := testReservation("DATA-1", "", four...)
	first.Execution = "DATA-1"
	if got := mustReserve(t, s, first); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}

	// The next run of the request reserves before the first run's close
	// is handled, and takes the place over.
	next := testReservation("DATA-1", "", four...)
	next.Execution = "DATA-1-r2"
	if got := mustReserve(t, s, next); !got.Reserved {
		t.Fatalf("next run of DATA-1 rejected: %+v", got)
	}
	if err := s.Release(ctx, "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release by DATA-1: %v", err)
	}
	if got := mustReserve(t, s, testReservation("DATA-2", "", four...)); got.Reserved {
		t.Error("place granted after the first run closed, while DATA-1-r2 holds it")
	}

	if err := s.Release(ctx, "acme-prod", "DATA-1", "DATA-1-r2"); err != nil {
		t.Fatalf("Release by DATA-1-r2: %v", err)
	}
	if got := mustReserve(t, s, testReservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after its holder DATA-1-r2 released it: %+v", got)
	}
}

// TestReservationsPlaceWithoutHolder covers a place written without an
// execution, such as one that an operator added in the console: the
// closing run of its request releases it.
func TestReservationsPlaceWithoutHolder(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	s := newTestReservations(t, sim, nil)
	ctx := context.Background()
	doc := encodePlaces("acme-prod", []place{{request: "DATA-1", reservedAt: reservationStart}})
	if _, err := rawDocuments(t, sim).Patch(s.DocumentName("acme-prod"), doc).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}

	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := mustReserve(t, s, testReservation("DATA-2", "", four...)); got.Reserved {
		t.Fatal("place granted while DATA-1's place without a holder is held")
	}
	if err := s.Release(ctx, "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := mustReserve(t, s, testReservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after the place without a holder was released: %+v", got)
	}
}

// rawDocuments returns a Firestore client on the simulator, to read and
// write documents the way an operator would.
func rawDocuments(t *testing.T, sim *gcpsim.Server) *firestore.ProjectsDatabasesDocumentsService {
	t.Helper()
	service, err := firestore.NewService(context.Background(), option.WithEndpoint(sim.URL()+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return service.Projects.Databases.Documents
}

func TestReservationsDocument(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	s := newTestReservations(t, sim, nil)
	ctx := context.Background()
	r := testReservation("DATA-1", "projects/p/regions/r/serviceAttachments/a")
	r.Account = "MyOrg-Analytics"
	r.Execution = "DATA-1-r2"
	if got := mustReserve(t, s, r); !got.Reserved {
		t.Fatalf("place rejected: %+v", got)
	}

	wantName := "projects/" + project + "/databases/(default)/documents/" + waitsCollection +
		"/endpoint-reservations/accounts/" + documentID("myorg-analytics")
	if got := s.DocumentName("MYORG-analytics"); got != wantName {
		t.Errorf("DocumentName = %q, want %q", got, wantName)
	}
	doc, err := rawDocuments(t, sim).Get(wantName).Context(ctx).Do()
	if err != nil {
		t.Fatalf("get the reservation document: %v", err)
	}
	if got := doc.Fields[fieldAccount].StringValue; got != "myorg-analytics" {
		t.Errorf("account field = %q, want myorg-analytics", got)
	}
	places, err := decodePlaces(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []place{{
		request: "DATA-1", execution: "DATA-1-r2",
		service: "projects/p/regions/r/serviceAttachments/a", reservedAt: reservationStart,
	}}
	if diff := cmp.Diff(want, places, cmp.AllowUnexported(place{})); diff != "" {
		t.Errorf("stored places (-want +got):\n%s", diff)
	}
}

// TestReservationsBesideWaits checks that the reservations under the waits
// collection do not show up as waits.
func TestReservationsBesideWaits(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	s := newTestReservations(t, sim, nil)
	waits := newTestWaits(t, sim, &recorder{})
	ctx := context.Background()
	w := testWait("token-1", 24)
	if err := waits.Put(ctx, w); err != nil {
		t.Fatal(err)
	}
	if got := mustReserve(t, s, testReservation("DATA-1", "")); !got.Reserved {
		t.Fatalf("place rejected: %+v", got)
	}

	got, err := waits.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.Wait{w}, got); diff != "" {
		t.Errorf("waits beside a reservation (-want +got):\n%s", diff)
	}
}

func TestReservationsAccountNames(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	// Firestore rejects these as document IDs, so the store hashes every
	// account name.
	for _, account := range []string{"myorg/analytics", "__acme__", "..", strings.Repeat("x", 2000)} {
		r := testReservation("DATA-1", "")
		r.Account = account
		if got, err := s.Reserve(context.Background(), r); err != nil || !got.Reserved {
			t.Errorf("Reserve in account %.20q = %+v, %v; want a place", account, got, err)
		}
	}
}

func TestReservationsConflictLimit(t *testing.T) {
	tests := []struct {
		name   string
		method string
		fault  gcpsim.Fault
		// exists reserves a place before the fault, so that the store
		// patches the document instead of creating it.
		exists bool
	}{
		{name: "patch precondition", method: http.MethodPatch, fault: gcpsim.Fault{Status: http.StatusBadRequest, Reason: "FAILED_PRECONDITION"}, exists: true},
		{name: "patch aborted", method: http.MethodPatch, fault: gcpsim.Fault{Status: http.StatusConflict}, exists: true},
		{name: "create exists", method: http.MethodPost, fault: gcpsim.Fault{Status: http.StatusConflict, Reason: "ALREADY_EXISTS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startWaitsSim(t, "", 0)
			rec := &recorder{}
			s := newTestReservations(t, sim, rec)
			if tt.exists {
				mustReserve(t, s, testReservation("DATA-0", ""))
			}
			sim.SetFault(func(method, collection string) gcpsim.Fault {
				if method == tt.method && collection == "documents" {
					return tt.fault
				}
				return gcpsim.Fault{}
			})
			before := len(rec.find(tt.method, reservationsDocumentID))

			_, err := s.Reserve(context.Background(), testReservation("DATA-1", ""))
			if err == nil {
				t.Fatal("Reserve succeeded although every write conflicted")
			}
			if got := workflow.NameOf(err); got != workflow.ErrTransient {
				t.Errorf("error name = %q, want Transient (error %v)", got, err)
			}
			if !strings.Contains(err.Error(), s.DocumentName("acme-prod")) {
				t.Errorf("error %q does not name the document", err)
			}
			if writes := len(rec.find(tt.method, reservationsDocumentID)) - before; writes != DefaultReservationAttempts {
				t.Errorf("writes = %d, want %d", writes, DefaultReservationAttempts)
			}
		})
	}
}

func TestReservationsErrors(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		status   int
		wantName string
	}{
		{name: "read unavailable", method: http.MethodGet, status: http.StatusServiceUnavailable, wantName: workflow.ErrTransient},
		{name: "read denied", method: http.MethodGet, status: http.StatusForbidden, wantName: workflow.ErrInvalidRequest},
		{name: "create throttled", method: http.MethodPost, status: http.StatusTooManyRequests, wantName: workflow.ErrThrottled},
		{name: "create without database", method: http.MethodPost, status: http.StatusNotFound, wantName: workflow.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startWaitsSim(t, "", 0)
			sim.SetFault(func(method, collection string) gcpsim.Fault {
				if method == tt.method && collection == "documents" {
					return gcpsim.Fault{Status: tt.status}
				}
				return gcpsim.Fault{}
			})
			s := newTestReservations(t, sim, nil)
			// The deadline bounds the test should a client retry.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			_, err := s.Reserve(ctx, testReservation("DATA-1", ""))
			if err == nil {
				t.Fatalf("Reserve succeeded, want %s", tt.wantName)
			}
			if got := workflow.NameOf(err); got != tt.wantName {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.wantName, err)
			}
			if !strings.Contains(err.Error(), s.DocumentName("acme-prod")) {
				t.Errorf("error %q does not name the document", err)
			}
		})
	}
}

func TestReservationsInvalidDocument(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	s := newTestReservations(t, sim, nil)
	name := s.DocumentName("acme-prod")
	doc := &firestore.Document{Fields: map[string]firestore.Value{
		fieldPlaces: {ArrayValue: &firestore.ArrayValue{Values: []*firestore.Value{
			{MapValue: &firestore.MapValue{Fields: map[string]firestore.Value{fieldRequest: stringValue("DATA-1")}}},
		}}},
	}}
	if _, err := rawDocuments(t, sim).Patch(name, doc).Context(context.Background()).Do(); err != nil {
		t.Fatal(err)
	}

	_, err := s.Reserve(context.Background(), testReservation("DATA-2", ""))
	if err == nil {
		t.Fatal("Reserve succeeded on a place without reserved_at")
	}
	for _, part := range []string{name, "DATA-1", fieldReservedAt} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
}

func TestNewEndpointReservationsConfig(t *testing.T) {
	_, err := NewEndpointReservations(context.Background(), Options{
		Endpoint:      "http://127.0.0.1:1",
		ClientOptions: []option.ClientOption{option.WithoutAuthentication()},
	}, WaitsConfig{Project: "proj-one", Collection: "a/b/c"})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("error name = %q, want InvalidRequest (error %v)", got, err)
	}

	s, err := NewEndpointReservations(context.Background(), Options{
		Endpoint:      "http://127.0.0.1:1",
		ClientOptions: []option.ClientOption{option.WithoutAuthentication()},
	}, WaitsConfig{Project: "proj-one", Database: "repolink", Collection: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	want := "projects/proj-one/databases/repolink/documents/waits/endpoint-reservations/accounts"
	if got := s.Collection(); got != want {
		t.Errorf("Collection() = %q, want %q", got, want)
	}
}
