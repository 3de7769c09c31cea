package defaultlevels

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

func TestStorePutListDelete(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "defaults.db")
	store, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	schema := workflow.DefaultSetting{Account: "myorg-analytics", Request: "DATA-4711", Level: "schema",
		Target: "SCHEMA PLATFORM.PACKAGES", Repository: "PLATFORM.PACKAGES.CORP_PYPI"}
	database := schema
	database.Level, database.Target = "database", "DATABASE PLATFORM"
	for _, d := range []workflow.DefaultSetting{schema, database, schema} {
		if err := store.Put(ctx, d); err != nil {
			t.Fatalf("Put %s: %v", d.Key(), err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer store.Close()
	got, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]workflow.DefaultSetting{}
	for _, d := range got {
		byKey[d.Key()] = d
	}
	want := map[string]workflow.DefaultSetting{schema.Key(): schema, database.Key(): database}
	if diff := cmp.Diff(want, byKey); diff != "" {
		t.Errorf("records after reopening (-want +got):\n%s", diff)
	}

	if err := store.Delete(ctx, schema.Key()); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, schema.Key()); err != nil {
		t.Errorf("delete of a missing record: %v", err)
	}
	got, err = store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]workflow.DefaultSetting{database}, got); diff != "" {
		t.Errorf("records after Delete (-want +got):\n%s", diff)
	}
}
