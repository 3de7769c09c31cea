package reservations

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/workflow"
)

var start = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func reservation(request, service string, listed ...string) workflow.EndpointReservation {
	return workflow.EndpointReservation{
		Account: "acme-prod", RequestID: request, ServiceID: service,
		Listed: listed, Limit: 5, Now: start,
	}
}

func reserve(t *testing.T, s *Store, r workflow.EndpointReservation) workflow.ReservationResult {
	t.Helper()
	got, err := s.Reserve(context.Background(), r)
	if err != nil {
		t.Fatalf("Reserve %s: %v", r.RequestID, err)
	}
	return got
}

func TestReserveConcurrentLastPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservations.db")
	// Two handles on one file act as two processes on one state
	// directory.
	stores := []*Store{openStore(t, path), openStore(t, path)}
	listed := []string{"svc-1", "svc-2", "svc-3", "svc-4"}

	const runs = 8
	results := make([]workflow.ReservationResult, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			r := reservation(fmt.Sprintf("DATA-%d", i), "", listed...)
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
	if reserved != 1 {
		t.Errorf("runs that got the last place = %d, want 1", reserved)
	}
}

func TestReserveCounts(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	three := []string{"svc-1", "svc-2", "svc-3"}

	if got := reserve(t, s, reservation("DATA-1", "", three...)); !got.Reserved {
		t.Fatalf("first place in an account with 3 endpoints refused: %+v", got)
	}
	// Three listed endpoints and the place of DATA-1 leave one place.
	if got := reserve(t, s, reservation("DATA-2", "", three...)); !got.Reserved {
		t.Fatalf("last place refused: %+v", got)
	}
	got := reserve(t, s, reservation("DATA-3", "", three...))
	want := workflow.ReservationResult{Holders: []string{"DATA-1", "DATA-2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place past the limit (-want +got):\n%s", diff)
	}

	// A request that holds a place keeps it, even when the account filled
	// up meanwhile.
	full := []string{"svc-1", "svc-2", "svc-3", "svc-4", "svc-5"}
	if got := reserve(t, s, reservation("DATA-1", "SVC-A", full...)); !got.Reserved {
		t.Errorf("holder lost its place: %+v", got)
	}

	// Once DATA-1's endpoint is listed, its place counts only once, and
	// the place of DATA-2 still counts.
	withA := []string{"svc-1", "svc-2", "svc-a"}
	if got := reserve(t, s, reservation("DATA-3", "", withA...)); !got.Reserved {
		t.Errorf("place with DATA-1's endpoint listed refused: %+v", got)
	}
	if got := reserve(t, s, reservation("DATA-4", "", withA...)); got.Reserved {
		t.Errorf("place past the limit with DATA-1's endpoint listed granted")
	}
}

func TestReserveExpires(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reserve(t, s, reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place refused: %+v", got)
	}

	late := reservation("DATA-2", "", four...)
	late.Now = start.Add(TTL - time.Minute)
	if got := reserve(t, s, late); got.Reserved {
		t.Errorf("place granted while DATA-1's place is held")
	}
	late.Now = start.Add(TTL + time.Minute)
	if got := reserve(t, s, late); !got.Reserved {
		t.Errorf("place refused after DATA-1's place expired: %+v", got)
	}
}

func TestReserveAccountsApart(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reserve(t, s, reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place refused: %+v", got)
	}
	other := reservation("DATA-2", "", four...)
	other.Account = "acme-test"
	if got := reserve(t, s, other); !got.Reserved {
		t.Errorf("place in another account refused: %+v", got)
	}
	sameAccount := reservation("DATA-3", "", four...)
	sameAccount.Account = "ACME-PROD"
	if got := reserve(t, s, sameAccount); got.Reserved {
		t.Errorf("place granted in the same account spelled in upper case")
	}
}

func TestReserveHoldersExcludeListed(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	two := []string{"svc-1", "svc-2"}
	for _, r := range []workflow.EndpointReservation{
		reservation("DATA-100", "SVC-A", two...),
		reservation("DATA-201", "svc-b", two...),
		reservation("DATA-300", "", two...),
	} {
		if got := reserve(t, s, r); !got.Reserved {
			t.Fatalf("place for %s refused: %+v", r.RequestID, got)
		}
	}

	// The endpoints of DATA-100 and DATA-201 are listed now, so only the
	// place of DATA-300 counts beside the four listed endpoints.
	four := []string{"svc-1", "svc-2", "svc-a", "svc-b"}
	got := reserve(t, s, reservation("DATA-400", "", four...))
	want := workflow.ReservationResult{Holders: []string{"DATA-300"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("place past the limit (-want +got):\n%s", diff)
	}

	// The places of listed endpoints have ended: when those endpoints are
	// gone from the list, they no longer count.
	if got := reserve(t, s, reservation("DATA-500", "", "svc-1", "svc-2", "svc-3")); !got.Reserved {
		t.Errorf("place refused after listed endpoints' places ended: %+v", got)
	}
}

func TestReleaseFreesPlace(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reserve(t, s, reservation("DATA-1", "", four...)); !got.Reserved {
		t.Fatalf("last place refused: %+v", got)
	}
	if got := reserve(t, s, reservation("DATA-2", "", four...)); got.Reserved {
		t.Fatalf("place granted while DATA-1's place is held")
	}

	if err := s.Release(context.Background(), "ACME-PROD", "DATA-1", ""); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := reserve(t, s, reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place refused after DATA-1 released its place: %+v", got)
	}
	if err := s.Release(context.Background(), "acme-prod", "DATA-9", ""); err != nil {
		t.Errorf("Release of a request without a place: %v", err)
	}
}

func TestReleaseOnlyByHolder(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	first := reservation("DATA-1", "", four...)
	first.Execution = "DATA-1"
	if got := reserve(t, s, first); !got.Reserved {
		t.Fatalf("last place rejected: %+v", got)
	}

	// The next run of the request reserves before the first run's close
	// is handled, and takes the place over.
	next := reservation("DATA-1", "", four...)
	next.Execution = "DATA-1-r2"
	if got := reserve(t, s, next); !got.Reserved {
		t.Fatalf("next run of DATA-1 rejected: %+v", got)
	}
	if err := s.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release by DATA-1: %v", err)
	}
	if got := reserve(t, s, reservation("DATA-2", "", four...)); got.Reserved {
		t.Error("place granted after the first run closed, while DATA-1-r2 holds it")
	}

	if err := s.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1-r2"); err != nil {
		t.Fatalf("Release by DATA-1-r2: %v", err)
	}
	if got := reserve(t, s, reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after its holder DATA-1-r2 released it: %+v", got)
	}
}

func TestOpenMigratesHolderColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservations.db")
	old, err := sqlitefile.Open(path, `CREATE TABLE endpoint_reservations (
		account TEXT NOT NULL,
		request TEXT NOT NULL,
		service TEXT NOT NULL,
		reserved_at INTEGER NOT NULL,
		PRIMARY KEY (account, request)
	)`, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = old.Exec(`INSERT INTO endpoint_reservations VALUES ('acme-prod', 'DATA-1', '', ?)`, start.Unix())
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reserve(t, s, reservation("DATA-2", "", four...)); got.Reserved {
		t.Fatal("place granted while DATA-1's migrated place is held")
	}
	// A place reserved before holders were recorded has no holder, so
	// the closing run of its request releases it.
	if err := s.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := reserve(t, s, reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after the migrated place was released: %+v", got)
	}

	// Opening the migrated file again leaves it as it is.
	openStore(t, path)
}
