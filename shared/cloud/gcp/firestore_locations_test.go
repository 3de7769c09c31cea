package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

func testLocation(request, schema string) workflow.ObjectLocation {
	return workflow.ObjectLocation{
		Account: "MyOrg-Analytics", Request: request, Database: "PLATFORM", Schema: schema,
		Repository: "CORP_PYPI", Secret: "CORP_PYPI_SECRET",
	}
}

func TestObjectLocationsPutListDelete(t *testing.T) {
	sim := startWaitsSim(t, "", 1)
	store := openTestStore(t, sim, nil, NewObjectLocations)
	ctx := context.Background()

	packages := testLocation("DATA-1", "PACKAGES")
	staging := testLocation("DATA-1", "STAGING")
	other := testLocation("DATA-2", "PACKAGES")
	for _, l := range []workflow.ObjectLocation{staging, other, packages, packages} {
		if err := store.Put(ctx, l); err != nil {
			t.Fatalf("Put %s: %v", l.Key(), err)
		}
	}

	// The simulator returns one document a page, so List reads two pages.
	list, err := store.List(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{packages, staging}, list); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	for range 2 {
		if err := store.Delete(ctx, packages); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	list, err = store.List(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{staging}, list); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
	list, err = store.List(ctx, "DATA-2")
	if err != nil {
		t.Fatalf("List of another request: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{other}, list); diff != "" {
		t.Errorf("List of another request (-want +got):\n%s", diff)
	}
	list, err = store.List(ctx, "DATA-3")
	if err != nil {
		t.Fatalf("List of a request without records: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("List of a request without records = %v, want none", list)
	}
}

func TestObjectLocationsUnderWaitsCollection(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	store := openTestStore(t, sim, nil, NewObjectLocations)
	name := store.RecordName(testLocation("DATA-1", "PACKAGES"))
	prefix := "projects/" + project + "/databases/(default)/documents/" + waitsCollection + "/object-locations/request-"
	if !strings.HasPrefix(name, prefix) {
		t.Errorf("record name = %s, want it under %s", name, prefix)
	}
}
