package teardownsnowflake

import (
	"context"
	"path/filepath"
	"slices"
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

// TestRunForgetsEarlierExpiries tears down a request whose earlier runs
// used the repository names old_pypi and gone_pypi and, in another schema,
// shared_pypi. The SECRET of old_pypi still exists and is dropped, and
// those of gone_pypi and shared_pypi are gone. The teardown deletes the
// expiry records of the current and the dropped secret and of the gone
// secret that a run of the request recorded, and keeps the record that
// another request wrote under the name of a gone secret.
func TestRunForgetsEarlierExpiries(t *testing.T) {
	inSchema := func(name string) snowflake.Row {
		return snowflake.Row{"name": name, "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned}
	}
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW SECRETS": {inSchema("CORP_PYPI_SECRET"), inSchema("OLD_PYPI_SECRET")},
	}}
	store, err := expiries.Open(filepath.Join(t.TempDir(), "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	req := testRequest()
	earlier := func(name, schema string) request.Request {
		r := req
		r.Repository.Name = name
		r.Snowflake.Schema = schema
		return r
	}
	otherRequest := req
	otherRequest.ID = "DATA-9000"
	expires := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	records := []workflow.CredentialExpiry{
		{Secret: "PLATFORM.PACKAGES.CORP_PYPI_SECRET", Request: req, ExpiresAt: expires},
		{Secret: "PLATFORM.PACKAGES.OLD_PYPI_SECRET", Request: earlier("old_pypi", "PACKAGES"), ExpiresAt: expires},
		{Secret: "PLATFORM.PACKAGES.GONE_PYPI_SECRET", Request: earlier("gone_pypi", "PACKAGES"), ExpiresAt: expires},
		{Secret: "PLATFORM.SHARED.SHARED_PYPI_SECRET", Request: otherRequest, ExpiresAt: expires},
	}
	for _, c := range records {
		if err := store.Put(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}

	env := &workflow.Env{
		Snowflake:   func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
		Credentials: store,
		EarlierRequests: func(context.Context, string) ([]request.Request, error) {
			return []request.Request{earlier("old_pypi", "PACKAGES"), earlier("gone_pypi", "PACKAGES"), earlier("shared_pypi", "SHARED")}, nil
		},
	}
	if _, err := Run(t.Context(), env, workflow.Document{Request: req}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !slices.Contains(conn.execs(), "DROP SECRET IF EXISTS PLATFORM.PACKAGES.OLD_PYPI_SECRET") {
		t.Errorf("statements %q lack the drop of the earlier secret", conn.execs())
	}
	left, err := store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, c := range left {
		secrets = append(secrets, c.Secret)
	}
	if want := []string{"PLATFORM.SHARED.SHARED_PYPI_SECRET"}; !slices.Equal(secrets, want) {
		t.Errorf("records after teardown = %q, want %q", secrets, want)
	}
}
