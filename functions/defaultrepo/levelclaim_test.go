package defaultrepo

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// storedClaim returns the claim on the schema of sb, or nil.
func storedClaim(t *testing.T, sb *sfsandbox.Sandbox) *workflow.LevelClaim {
	t.Helper()
	var got *workflow.LevelClaim
	key := workflow.LevelClaimKey(sb.Request.Snowflake.Account, "SCHEMA PLATFORM.PACKAGES")
	err := sb.Env.Defaults.UpdateClaim(t.Context(), key, func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		got = stored
		return nil, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSandboxClaimSecondRun runs the default step twice. The first run
// leaves a claim marked set, and the second changes nothing.
func TestSandboxClaimSecondRun(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	doc := sb.Document()
	if _, err := Run(t.Context(), sb.Env, doc); err != nil {
		t.Fatalf("first run: %v", err)
	}
	want := &workflow.LevelClaim{
		Account: doc.Request.Snowflake.Account, Level: "schema", Target: "SCHEMA PLATFORM.PACKAGES",
		Request: doc.Request.ID, Repository: "PLATFORM.PACKAGES.CORP_PYPI", Set: true,
	}
	if diff := cmp.Diff(want, storedClaim(t, sb)); diff != "" {
		t.Errorf("claim after the first run (-want +got):\n%s", diff)
	}

	out, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("second run action = %q (%s), want adopted", out.Action, out.ID)
	}
	if diff := cmp.Diff(want, storedClaim(t, sb)); diff != "" {
		t.Errorf("claim after the second run (-want +got):\n%s", diff)
	}
}

// TestSandboxClaimTakenOverAfterChange lets a person point the schema that
// one request's run set at another repository. A second request with the
// same default_for then takes the claim over.
func TestSandboxClaimTakenOverAfterChange(t *testing.T) {
	sb := startWithFirstDefault(t)
	sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+otherRepository)

	second := sb.Document()
	second.Request.ID = "DATA-4799"
	second.Request.Repository.Name = "other_pypi"
	if _, err := Run(t.Context(), sb.Env, second); err != nil {
		t.Fatalf("run of the second request: %v", err)
	}
	got := storedClaim(t, sb)
	if got == nil || got.Request != second.Request.ID || !got.Set {
		t.Errorf("claim = %+v, want the second request's, marked set", got)
	}
}

// TestSandboxClaimReleasedWhenLevelMoves claims the schema for a request
// whose run stopped before it recorded the level, and then runs the
// request with default_for database, which releases the schema's claim.
func TestSandboxClaimReleasedWhenLevelMoves(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	doc := sb.Document()
	err := TakeLevel(t.Context(), sb.Env.Defaults, sb.Conn, doc.Request, "schema", "SCHEMA PLATFORM.PACKAGES", "PLATFORM.PACKAGES.CORP_PYPI", false)
	if err != nil {
		t.Fatalf("TakeLevel: %v", err)
	}

	doc.Request.Repository.DefaultFor = "database"
	if _, err := Run(t.Context(), sb.Env, doc); err != nil {
		t.Fatalf("run with default_for database: %v", err)
	}
	if got := storedClaim(t, sb); got != nil {
		t.Errorf("schema claim = %+v, want none", got)
	}
}

// TestSandboxClaimRetakenAfterChange lets a person point the schema that a
// request's run set at another repository. A new run of that request takes
// its claim again to set the schema back, and until it marks the claim
// set, another request must not take the level over.
func TestSandboxClaimRetakenAfterChange(t *testing.T) {
	const (
		target = "SCHEMA PLATFORM.PACKAGES"
		other  = "PLATFORM.PACKAGES.OTHER_PYPI"
	)
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+other+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
	first := sb.Document()
	if _, err := Run(t.Context(), sb.Env, first); err != nil {
		t.Fatalf("run of the first request: %v", err)
	}
	sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+other)

	// The first request's new run finds the schema changed, so it takes
	// the claim with set false before its ALTER.
	err := TakeLevel(t.Context(), sb.Env.Defaults, sb.Conn, first.Request, "schema", target, "PLATFORM.PACKAGES.CORP_PYPI", false)
	if err != nil {
		t.Fatalf("TakeLevel of the first request: %v", err)
	}
	got := storedClaim(t, sb)
	if got == nil || got.Request != first.Request.ID {
		t.Fatalf("claim = %+v, want the first request's", got)
	}
	if got.Set {
		t.Errorf("claim of the first request is marked set while its run has still to set the schema")
	}

	second := sb.Document()
	second.Request.ID = "DATA-4799"
	err = TakeLevel(t.Context(), sb.Env.Defaults, sb.Conn, second.Request, "schema", target, other, true)
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Errorf("TakeLevel of the second request: error name = %q (%v), want %q", name, err, workflow.ErrConflict)
	}
}
