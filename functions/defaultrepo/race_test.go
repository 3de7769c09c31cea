package defaultrepo

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/defaultlevels"
	"github.com/repolink/repolink/shared/workflow"
)

// listBarrier is a registry whose first two List calls wait for each other,
// so that two runs both read the records before either writes one.
type listBarrier struct {
	workflow.DefaultRegistry
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (b *listBarrier) List(ctx context.Context) ([]workflow.DefaultSetting, error) {
	b.mu.Lock()
	b.waiting++
	switch {
	case b.waiting == 2:
		close(b.release)
	case b.waiting > 2:
		b.mu.Unlock()
		return b.DefaultRegistry.List(ctx)
	}
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-time.After(5 * time.Second):
	}
	return b.DefaultRegistry.List(ctx)
}

// TestSandboxDefaultLevelRace runs the default step of two requests with
// the same default_for at the same time, on a SQLite records file. Both
// pass the check of the records, and the claim lets only one set the
// level, so the other fails with a Conflict that names the winner.
func TestSandboxDefaultLevelRace(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+other+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
	store, err := defaultlevels.Open(filepath.Join(t.TempDir(), "defaults.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sb.Env.Defaults = &listBarrier{DefaultRegistry: store, release: make(chan struct{})}

	first := sb.Document()
	second := sb.Document()
	second.Request.ID = "DATA-4799"
	second.Request.Repository.Name = "other_pypi"
	repos := map[string]string{first.Request.ID: "PLATFORM.PACKAGES.CORP_PYPI", second.Request.ID: other}

	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, doc := range []workflow.Document{first, second} {
		wg.Go(func() {
			_, errs[i] = Run(t.Context(), sb.Env, doc)
		})
	}
	wg.Wait()

	winner, loser := first.Request.ID, second.Request.ID
	switch {
	case errs[0] != nil && errs[1] != nil:
		t.Fatalf("both runs failed: %v; %v", errs[0], errs[1])
	case errs[0] == nil && errs[1] == nil:
		t.Fatal("both runs set the schema default, want one Conflict")
	case errs[0] != nil:
		winner, loser = loser, winner
	}
	err = errs[0]
	if err == nil {
		err = errs[1]
	}
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Errorf("error name = %q (%v), want %q", name, err, workflow.ErrConflict)
	}
	for _, want := range []string{"SCHEMA PLATFORM.PACKAGES", repos[winner], "request " + winner} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if value, _ := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); value != repos[winner] {
		t.Errorf("schema default = %q, want %s of the request whose run went on", value, repos[winner])
	}
	loserRequest := first.Request
	if loser == second.Request.ID {
		loserRequest = second.Request
	}
	recorded, err := Recorded(t.Context(), store, loserRequest)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 0 {
		t.Errorf("records of request %s = %+v, want none", loser, recorded)
	}
}
