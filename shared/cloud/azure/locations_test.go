package azure

import (
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/azuresim"
)

func TestLocationsListsSubscriptionRegions(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	names, err := f.provider.Locations(t.Context())
	if err != nil {
		t.Fatalf("Locations: %v", err)
	}
	for _, want := range []string{"eastus", "eastus2", "westeurope"} {
		if !slices.Contains(names, want) {
			t.Errorf("Locations = %v, lacks %s", names, want)
		}
	}
	if slices.Contains(names, "mars1") {
		t.Errorf("Locations = %v, lists a region that Azure does not have", names)
	}

	var sent *azuresim.Request
	for _, r := range f.sim.Requests() {
		if strings.HasSuffix(r.Path, "/locations") {
			sent = &r
		}
	}
	if sent == nil {
		t.Fatal("no request to the subscription's locations")
	}
	if want := "/subscriptions/" + testSubscription + "/locations"; sent.Method != "GET" || sent.Path != want {
		t.Errorf("request = %s %s, want GET %s", sent.Method, sent.Path, want)
	}
	if sent.Query != "api-version="+locationsAPIVersion {
		t.Errorf("query = %q, want api-version=%s", sent.Query, locationsAPIVersion)
	}
}
