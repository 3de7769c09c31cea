package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

const passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

func TestListMachinesKeepsCreationTime(t *testing.T) {
	e, err := Open(filepath.Join(t.TempDir(), "engine.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	before := time.Now()
	if err := e.Define("m", []byte(passMachine)); err != nil {
		t.Fatal(err)
	}
	first, err := e.ListMachines(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].CreatedAt.Before(before) || time.Since(first[0].CreatedAt) > time.Minute {
		t.Fatalf("ListMachines after Define = %+v, want m created at about %v", first, before)
	}

	if err := e.Define("m", []byte(`{"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}}`)); err != nil {
		t.Fatal(err)
	}
	again, err := e.ListMachines(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !again[0].CreatedAt.Equal(first[0].CreatedAt) {
		t.Errorf("CreatedAt after a new definition = %v, want the first definition's %v", again[0].CreatedAt, first[0].CreatedAt)
	}
}

func TestOpenMigratesMachineCreationDates(t *testing.T) {
	path := createStoreWithout(t, ",\n\tcreated_at INTEGER NOT NULL DEFAULT 0",
		`INSERT INTO machines (name, definition) VALUES ('used', '{}'), ('unused', '{}')`,
		`INSERT INTO executions (name, machine, definition, input, status, started_at)
			VALUES ('a', 'used', '{}', '{}', 'SUCCEEDED', 7000), ('b', 'used', '{}', '{}', 'SUCCEEDED', 3000)`)

	e, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer e.Close()
	ctx := context.Background()
	machines, err := e.ListMachines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]time.Time{}
	for _, m := range machines {
		created[m.Name] = m.CreatedAt
	}
	if want := time.Unix(0, 3000); !created["used"].Equal(want) {
		t.Errorf("used machine after the migration: CreatedAt = %v, want its earliest execution start %v", created["used"], want)
	}
	if !created["unused"].IsZero() {
		t.Errorf("machine without executions after the migration: CreatedAt = %v, want zero", created["unused"])
	}

	before := time.Now()
	if err := e.Define("unused", []byte(passMachine)); err != nil {
		t.Fatal(err)
	}
	if err := e.Define("used", []byte(passMachine)); err != nil {
		t.Fatal(err)
	}
	machines, err = e.ListMachines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range machines {
		created[m.Name] = m.CreatedAt
	}
	if created["unused"].Before(before) {
		t.Errorf("undated machine defined again: CreatedAt = %v, want the time of the definition", created["unused"])
	}
	if want := time.Unix(0, 3000); !created["used"].Equal(want) {
		t.Errorf("dated machine defined again: CreatedAt = %v, want %v unchanged", created["used"], want)
	}
}
