package defaultrepo

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
)

// TestFindOthersReadsEachLevelOnce checks that a level that a run recorded
// and that is still the request's schema is read with one SHOW PARAMETERS,
// not once as a candidate to unset and again as a record.
func TestFindOthersReadsEachLevelOnce(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	doc := sb.Document()
	if _, err := Run(t.Context(), sb.Env, doc); err != nil {
		t.Fatalf("run with default_for schema: %v", err)
	}

	var mu sync.Mutex
	reads := map[string]int{}
	sb.Server.SetFault(func(sql string) error {
		upper := strings.ToUpper(sql)
		if _, target, ok := strings.Cut(upper, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN "); ok {
			mu.Lock()
			reads[target]++
			mu.Unlock()
		}
		return nil
	})
	t.Cleanup(func() { sb.Server.SetFault(nil) })

	others, err := FindOthers(t.Context(), sb.Env.Defaults, sb.Conn, doc.Request, "database")
	if err != nil {
		t.Fatalf("FindOthers: %v", err)
	}

	if diff := cmp.Diff([]string{"schema"}, others.Unset); diff != "" {
		t.Errorf("Unset (-want +got):\n%s", diff)
	}
	if got := len(others.Forget); got != 1 {
		t.Errorf("Forget has %d records, want the schema's 1", got)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"ACCOUNT": 1, "SCHEMA PLATFORM.PACKAGES": 1}
	if diff := cmp.Diff(want, reads); diff != "" {
		t.Errorf("SHOW PARAMETERS per target (-want +got):\n%s", diff)
	}
}
