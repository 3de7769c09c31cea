package teardownsnowflake

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/expiries"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestRunForgetsCredentialExpiry(t *testing.T) {
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW SECRETS": {{"name": "CORP_PYPI_SECRET", "comment": owned}},
	}}
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	req := testRequest()
	expires := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	ours := workflow.CredentialExpiry{Secret: sfobject.Qualified(req.Snowflake, workflow.NamesFor(req).Secret), Request: req, ExpiresAt: expires}
	other := ours
	other.Secret = "PLATFORM.PACKAGES.OTHER_SECRET"
	for _, c := range []workflow.CredentialExpiry{ours, other} {
		if err := store.Put(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}

	env := &workflow.Env{
		Snowflake:   func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
		Credentials: store,
	}
	if _, err := Run(t.Context(), env, workflow.Document{Request: req}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	records, err := store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Secret != other.Secret {
		t.Errorf("records after teardown = %+v, want only %s", records, other.Secret)
	}
}

func TestRunKeepsExpiryOfKeptSecret(t *testing.T) {
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW SECRETS": {{"name": "CORP_PYPI_SECRET", "comment": "repolink request DATA-9000"}},
	}}
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	req := testRequest()
	record := workflow.CredentialExpiry{Secret: sfobject.Qualified(req.Snowflake, workflow.NamesFor(req).Secret), Request: req,
		Renewable: true, ExpiresAt: time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)}
	if err := store.Put(t.Context(), record); err != nil {
		t.Fatal(err)
	}

	env := &workflow.Env{
		Snowflake:   func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
		Credentials: store,
	}
	out, err := Run(t.Context(), env, workflow.Document{Request: req})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(out.Kept) != 1 || out.Kept[0].Type != "SECRET" {
		t.Fatalf("kept = %+v, want the secret of the other request", out.Kept)
	}
	records, err := store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Errorf("%d records after teardown, want the kept secret's record", len(records))
	}
}
