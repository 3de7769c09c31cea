package reservations

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/reservations/reservationstest"
	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/workflow"
)

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreContract(t *testing.T) {
	reservationstest.Run(t, TTL, func(t *testing.T) reservationstest.OpenFunc {
		path := filepath.Join(t.TempDir(), "reservations.db")
		return func(t *testing.T) workflow.EndpointReservations { return openStore(t, path) }
	})
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
	_, err = old.Exec(`INSERT INTO endpoint_reservations VALUES ('acme-prod', 'DATA-1', '', ?)`, reservationstest.Start.Unix())
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); got.Reserved {
		t.Fatal("place granted while DATA-1's migrated place is held")
	}
	// A place reserved before holders were recorded has no holder, so
	// the closing run of its request releases it.
	if err := s.Release(context.Background(), "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("place rejected after the migrated place was released: %+v", got)
	}

	// Opening the migrated file again leaves it as it is.
	openStore(t, path)
}

func TestCheckWritesNothing(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-1", "svc-held"))

	got, err := s.Check(context.Background(), reservationstest.Reservation("DATA-2", "", four...))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if diff := cmp.Diff(workflow.ReservationResult{Holders: []string{"DATA-1"}}, got); diff != "" {
		t.Errorf("Check of a full account (-want +got):\n%s", diff)
	}
	got, err = s.Check(context.Background(), reservationstest.Reservation("DATA-1", "", four...))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !got.Reserved {
		t.Errorf("Check of the holder's own request = %+v, want Reserved", got)
	}

	// The held place's endpoint is listed, so the place no longer counts,
	// but it stays in the store for a caller with an older listing.
	listed := append([]string{"SVC-HELD"}, four[:3]...)
	got, err = s.Check(context.Background(), reservationstest.Reservation("DATA-2", "", listed...))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !got.Reserved {
		t.Errorf("Check with the held endpoint listed = %+v, want Reserved", got)
	}
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); got.Reserved {
		t.Errorf("Reserve after Check granted a place that DATA-1 holds: %+v", got)
	}

	// A place past its TTL does not count.
	late := reservationstest.Reservation("DATA-2", "", four...)
	late.Now = late.Now.Add(TTL + time.Minute)
	got, err = s.Check(context.Background(), late)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !got.Reserved {
		t.Errorf("Check after the place expired = %+v, want Reserved", got)
	}
}

func TestEndedHolderFreesPlace(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	held := reservationstest.Reservation("DATA-1", "")
	held.Execution = "DATA-1-r2"
	reservationstest.Reserve(t, s, held)

	var queried []string
	closed := map[string]bool{}
	s.SetEnded(func(_ context.Context, requestID, execution string) (bool, error) {
		queried = append(queried, requestID+" "+execution)
		return closed[execution], nil
	})

	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); got.Reserved {
		t.Fatalf("place granted while running DATA-1-r2 holds it: %+v", got)
	}
	if diff := cmp.Diff([]string{"DATA-1 DATA-1-r2"}, queried); diff != "" {
		t.Errorf("holders passed to EndedFunc (-want +got):\n%s", diff)
	}

	closed["DATA-1-r2"] = true
	got, err := s.Check(ctx, reservationstest.Reservation("DATA-2", "", four...))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !got.Reserved {
		t.Errorf("Check with the holder closed = %+v, want Reserved", got)
	}
	// Check writes nothing, so Reserve still finds the place and drops it.
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); !got.Reserved {
		t.Errorf("Reserve with the holder closed = %+v, want Reserved", got)
	}
	closed["DATA-1-r2"] = false
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-1", "", four...)); got.Reserved {
		t.Errorf("DATA-1 got a place back after Reserve dropped it for DATA-2: %+v", got)
	}
}

func TestEndedErrorFailsReserve(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	held := reservationstest.Reservation("DATA-1", "")
	held.Execution = "DATA-1"
	reservationstest.Reserve(t, s, held)
	failure := errors.New("engine store unreadable")
	s.SetEnded(func(context.Context, string, string) (bool, error) { return false, failure })

	if _, err := s.Reserve(context.Background(), reservationstest.Reservation("DATA-2", "")); !errors.Is(err, failure) {
		t.Errorf("Reserve error = %v, want the EndedFunc's error", err)
	}
	if _, err := s.Check(context.Background(), reservationstest.Reservation("DATA-2", "")); !errors.Is(err, failure) {
		t.Errorf("Check error = %v, want the EndedFunc's error", err)
	}
	// The own place is not passed to EndedFunc, so the holder's request renews it.
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-1", "")); !got.Reserved {
		t.Errorf("renewal by the holder's request = %+v, want Reserved", got)
	}
}

func TestHolderlessPlaceNotChecked(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "reservations.db"))
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-1", ""))
	s.SetEnded(func(_ context.Context, requestID, execution string) (bool, error) {
		t.Errorf("EndedFunc called for %s held by %q, a place without a holder", requestID, execution)
		return true, nil
	})
	if got := reservationstest.Reserve(t, s, reservationstest.Reservation("DATA-2", "", four...)); got.Reserved {
		t.Errorf("place granted while DATA-1 holds it without a recorded holder: %+v", got)
	}
}
