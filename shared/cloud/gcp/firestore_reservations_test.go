package gcp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	firestore "google.golang.org/api/firestore/v1"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/reservations/reservationstest"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

// newTestReservations returns a store on the simulator whose requests
// transport sends; nil means a transport of the store's own.
func newTestReservations(t *testing.T, sim *gcpsim.Server, transport http.RoundTripper) *EndpointReservations {
	t.Helper()
	return openTestStore(t, sim, transport, NewEndpointReservations)
}

// openTestStore opens a store with open under the waits collection of the
// simulator. Its requests go through transport, or through a transport of
// the store's own when transport is nil.
func openTestStore[S any](t *testing.T, sim *gcpsim.Server, transport http.RoundTripper,
	open func(context.Context, Options, WaitsConfig) (S, error)) S {
	t.Helper()
	if transport == nil {
		transport = newTestTransport(t)
	}
	store, err := open(context.Background(), Options{
		Endpoint:      sim.URL(),
		ClientOptions: []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: transport})},
		CallTimeout:   5 * time.Second,
	}, WaitsConfig{Project: project, Collection: waitsCollection})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func TestReservationsContract(t *testing.T) {
	reservationstest.Run(t, ReservationTTL, func(t *testing.T) reservationstest.OpenFunc {
		sim := startWaitsSim(t, "", 0)
		return func(t *testing.T) workflow.EndpointReservations {
			return newTestReservations(t, sim, nil)
		}
	})
}

// The Cloud Functions deployment and the single-machine runtime must hold
// a place equally long.
func TestReservationTTLMatchesSQLite(t *testing.T) {
	if ReservationTTL != reservations.TTL {
		t.Errorf("ReservationTTL = %s, want %s as in the SQLite store", ReservationTTL, reservations.TTL)
	}
}

// newTestTransport returns a transport that the test's cleanup closes. A
// connection that a client dialed but never used keeps the simulator's
// Close waiting for 5 seconds, and this cleanup runs before the
// simulator's, because the simulator starts first.
func newTestTransport(t *testing.T) *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	return transport
}

// readBarrier delays the response of each of the first n reads of
// reservation documents until all n reads have reached the server, so that
// n callers all read the same version of a document before any of them
// writes. A read after the first n passes at once.
type readBarrier struct {
	next    http.RoundTripper
	n       int32
	reads   atomic.Int32
	release chan struct{}
}

func newReadBarrier(t *testing.T, n int) *readBarrier {
	return &readBarrier{next: newTestTransport(t), n: int32(n), release: make(chan struct{})}
}

func (b *readBarrier) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
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
				if got := reservationstest.Reserve(t, setup, reservationstest.Reservation(request, "", tt.listed...)); !got.Reserved {
					t.Fatalf("place for %s rejected: %+v", request, got)
				}
			}

			const runs = 8
			barrier := newReadBarrier(t, runs)
			stores := []*EndpointReservations{newTestReservations(t, sim, barrier), newTestReservations(t, sim, barrier)}
			results := make([]workflow.ReservationResult, runs)
			errs := make([]error, runs)
			var wg sync.WaitGroup
			for i := range runs {
				wg.Go(func() {
					r := reservationstest.Reservation(fmt.Sprintf("DATA-%d", i+1), "", tt.listed...)
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

// afterFirstRead runs hook once, after the first read of a reservation
// document has returned and before the caller can write.
type afterFirstRead struct {
	next http.RoundTripper
	once sync.Once
	hook func()
}

func (a *afterFirstRead) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req)
	if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/"+reservationsDocumentID+"/") {
		a.once.Do(a.hook)
	}
	return resp, err
}

// TestReservationsReleaseDuringReserve releases a place after a Reserve
// has read it and before that Reserve writes. The Reserve must read again
// and not write the released place back.
func TestReservationsReleaseDuringReserve(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	setup := newTestReservations(t, sim, nil)
	ctx := context.Background()
	if got := reservationstest.Reserve(t, setup, reservationstest.Reservation("DATA-1", "")); !got.Reserved {
		t.Fatalf("place for DATA-1 rejected: %+v", got)
	}

	var releaseErr error
	racing := newTestReservations(t, sim, &afterFirstRead{next: newTestTransport(t), hook: func() {
		releaseErr = setup.Release(ctx, "acme-prod", "DATA-1", "")
	}})
	if got := reservationstest.Reserve(t, racing, reservationstest.Reservation("DATA-2", "")); !got.Reserved {
		t.Fatalf("place for DATA-2 rejected: %+v", got)
	}
	if releaseErr != nil {
		t.Fatalf("Release of DATA-1: %v", releaseErr)
	}

	doc, err := setup.get(ctx, setup.DocumentName("acme-prod"))
	if err != nil {
		t.Fatal(err)
	}
	places, err := decodePlaces(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := holders(places); !slices.Equal(got, []string{"DATA-2"}) {
		t.Errorf("places after the release = %v, want [DATA-2]", got)
	}
}

func TestReservationsRenew(t *testing.T) {
	s := newTestReservations(t, startWaitsSim(t, "", 0), nil)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}
	// The endpoint step renews the place an hour later.
	renew := reservationstest.Reservation("DATA-1", "svc-a", four...)
	renew.Now = reservationstest.Start.Add(time.Hour)
	if got := reservationstest.Reserve(t, s, renew); !got.Reserved {
		t.Fatalf("renewal rejected: %+v", got)
	}

	late := reservationstest.Reservation("DATA-2", "", four...)
	late.Now = reservationstest.Start.Add(ReservationTTL + time.Minute)
	if got := reservationstest.Reserve(t, s, late); got.Reserved {
		t.Errorf("place granted although DATA-1 renewed its place")
	}
}

// TestReservationsPlaceWithoutHolder covers a place written without an
// execution, such as one that an operator added in the console: the
// closing run of its request releases it.
func TestReservationsPlaceWithoutHolder(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	s := newTestReservations(t, sim, nil)
	ctx := context.Background()
	doc := encodePlaces("acme-prod", []place{{request: "DATA-1", reservedAt: reservationstest.Start}})
	if _, err := rawDocuments(t, sim).Patch(s.DocumentName("acme-prod"), doc).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}

	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); got.Reserved {
		t.Fatal("place granted while DATA-1's place without a holder is held")
	}
	if err := s.Release(ctx, "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); !got.Reserved {
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
	r := reservationstest.Reservation("DATA-1", "projects/p/regions/r/serviceAttachments/a")
	r.Account = "MyOrg-Analytics"
	r.Execution = "DATA-1-r2"
	if got := reservationstest.Reserve(t, s, r); !got.Reserved {
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
		service: "projects/p/regions/r/serviceAttachments/a", reservedAt: reservationstest.Start,
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
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-1", "")); !got.Reserved {
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
		r := reservationstest.Reservation("DATA-1", "")
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
			// Every write conflicts, so the pauses that spread out
			// competing writers would only slow the test down.
			s.pause = func(context.Context, int) error { return nil }
			if tt.exists {
				reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-0", ""))
			}
			sim.SetFault(func(method, collection string) gcpsim.Fault {
				if method == tt.method && collection == "documents" {
					return tt.fault
				}
				return gcpsim.Fault{}
			})
			before := len(rec.find(tt.method, reservationsDocumentID))

			_, err := s.Reserve(context.Background(), reservationstest.Reservation("DATA-1", ""))
			if err == nil {
				t.Fatal("Reserve succeeded although every write conflicted")
			}
			if got := workflow.NameOf(err); got != workflow.ErrTransient {
				t.Errorf("error name = %q, want Transient (error %v)", got, err)
			}
			if !strings.Contains(err.Error(), s.DocumentName("acme-prod")) {
				t.Errorf("error %q does not name the document", err)
			}
			if writes := len(rec.find(tt.method, reservationsDocumentID)) - before; writes != writeAttempts {
				t.Errorf("writes = %d, want %d", writes, writeAttempts)
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
		{name: "read denied", method: http.MethodGet, status: http.StatusForbidden, wantName: workflow.ErrPermissionDenied},
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

			_, err := s.Reserve(ctx, reservationstest.Reservation("DATA-1", ""))
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

	_, err := s.Reserve(context.Background(), reservationstest.Reservation("DATA-2", ""))
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
