package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestIntakeIndexReplacedStoreSameName replaces the engine store with one
// whose first execution has the name of the old store's first execution,
// as a rerun of the same request ID gives it, but another repository
// name. The index must still be built again, so that it finds the new
// execution's objects and not the old one's.
func TestIntakeIndexReplacedStoreSameName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := provisionStore(t, dir)
	owner := exampleRequest(t, "RN-1")
	if _, err := old.Start(ctx, provisionMachine, owner.ID, documentOf(t, owner)); err != nil {
		t.Fatal(err)
	}
	if err := checkObjectClash(ctx, old, exampleRequest(t, "RN-2"), ""); err == nil {
		t.Fatal("RN-2 on the first store: no error, want an objectClashError")
	}
	old.Close()
	if err := removeDB(filepath.Join(dir, engineStore)); err != nil {
		t.Fatal(err)
	}

	fresh := provisionStore(t, dir)
	renamed := owner
	renamed.Repository.Name = "team_pypi"
	if _, err := fresh.Start(ctx, provisionMachine, renamed.ID, documentOf(t, renamed)); err != nil {
		t.Fatal(err)
	}
	other := exampleRequest(t, "RN-2")
	other.Repository.Name = "team_pypi"
	var clash *objectClashError
	if err := checkObjectClash(ctx, fresh, other, ""); !errors.As(err, &clash) || clash.other != "RN-1" {
		t.Errorf("RN-2 with team_pypi on the new store: error = %v, want an objectClashError with RN-1", err)
	}
	if err := checkObjectClash(ctx, fresh, exampleRequest(t, "RN-2"), ""); err != nil {
		t.Errorf("RN-2 with the old store's objects on the new store: error = %v, want none", err)
	}
}
