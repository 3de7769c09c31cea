package defaultlevels

import (
	"path/filepath"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/shared/workflow/claimtest"
)

// TestClaimsTwoHandles checks the claims on two handles of one file, as
// two repolink processes would open it.
func TestClaimsTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "defaults.db")
	var registries []workflow.DefaultRegistry
	for range 2 {
		store, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		registries = append(registries, store)
	}
	claimtest.Check(t, registries...)
}
