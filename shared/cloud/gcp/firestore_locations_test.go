package gcp

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/shared/workflow/registrytest"
)

func testLocation(request, schema string) workflow.ObjectLocation {
	return workflow.ObjectLocation{
		Account: "MyOrg-Analytics", Request: request, Database: "PLATFORM", Schema: schema,
		Repository: "CORP_PYPI", Secret: "CORP_PYPI_SECRET",
	}
}

func TestObjectLocationsPutListDelete(t *testing.T) {
	// The simulator returns one document a page, so List reads each record
	// from its own page.
	sim := startWaitsSim(t, "", 1)
	registrytest.CheckLocations(t, openTestStore(t, sim, nil, NewObjectLocations))
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
