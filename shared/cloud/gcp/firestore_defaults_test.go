package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/shared/workflow/claimtest"
	"github.com/repolink/repolink/shared/workflow/registrytest"
)

// testDefault returns the record that a run of request id set the default
// repository parameter on the schema.
func testDefault(id string) workflow.DefaultSetting {
	return workflow.DefaultSetting{
		Account: "MyOrg-Analytics", Request: id, Level: "schema",
		Database: "PLATFORM", Schema: "PACKAGES", Target: "SCHEMA PLATFORM.PACKAGES",
		Repository: "PLATFORM.PACKAGES.CORP_PYPI",
	}
}

func TestDefaultLevelsPutListDelete(t *testing.T) {
	// The simulator returns one document a page, so List reads each record
	// from its own page.
	sim := startWaitsSim(t, "", 1)
	registrytest.CheckDefaults(t, openTestStore(t, sim, nil, NewDefaultLevels))
}

// The records are under the waits collection, and the waits store lists
// none of them.
func TestDefaultLevelsHiddenFromWaits(t *testing.T) {
	sim := startWaitsSim(t, "", 0)
	store := openTestStore(t, sim, nil, NewDefaultLevels)
	if err := store.Put(context.Background(), testDefault("DATA-1")); err != nil {
		t.Fatal(err)
	}
	waits := newTestWaits(t, sim, &recorder{})
	list, err := waits.List(context.Background())
	if err != nil {
		t.Fatalf("List waits: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("waits = %+v, want none", list)
	}
	if name := store.RecordName("acct/DATA-1/ACCOUNT"); !strings.HasPrefix(name, waits.Collection()+"/default-levels/records/") {
		t.Errorf("record name %s is not under %s/default-levels/records", name, waits.Collection())
	}
}

// TestDefaultLevelClaims checks the claims on the Firestore simulator
// through two clients, and that List returns the records without the
// claims beside them.
func TestDefaultLevelClaims(t *testing.T) {
	sim := startWaitsSim(t, "", 1)
	var stores []*DefaultLevels
	for range 2 {
		store := openTestStore(t, sim, nil, NewDefaultLevels)
		store.pause = func(context.Context, int) error { return nil }
		stores = append(stores, store)
	}
	claimtest.Check(t, stores[0], stores[1])

	record := testDefault("DATA-1")
	if err := stores[0].Put(context.Background(), record); err != nil {
		t.Fatalf("Put: %v", err)
	}
	list, err := stores[0].List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.DefaultSetting{record}, list); diff != "" {
		t.Errorf("List beside a claim (-want +got):\n%s", diff)
	}
}
