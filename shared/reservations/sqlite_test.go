package reservations

import (
	"context"
	"path/filepath"
	"testing"

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
