package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
)

func TestTicketSource(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "webhook.db")
	if got, err := sqlitestore.TicketSource(ctx, path, "DATA-1"); err != nil || got != "" {
		t.Fatalf("missing store: TicketSource = %q, %v, want no source and no error", got, err)
	}

	store, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []webhook.Delivery{
		{Source: "servicenow", Ticket: "DATA-1", Event: "update", RequestHash: "hash-1"},
		{Source: "request", Ticket: "DATA-2", Event: "request", RequestHash: "hash-2"},
	} {
		d.ReceivedAt = time.Now()
		execution := d.Ticket
		start := func(context.Context) (string, error) { return execution, nil }
		if _, err := store.Deliver(ctx, d, start); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	for _, tc := range []struct{ execution, want string }{
		{"DATA-1", "servicenow"},
		{"DATA-2", ""},
		{"DATA-3", ""},
	} {
		got, err := sqlitestore.TicketSource(ctx, path, tc.execution)
		if err != nil {
			t.Fatalf("%s: %v", tc.execution, err)
		}
		if got != tc.want {
			t.Errorf("TicketSource(%s) = %q, want %q", tc.execution, got, tc.want)
		}
	}
}
