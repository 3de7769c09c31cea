package teardownsnowflake

import (
	"slices"
	"testing"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

const otherRepository = "PLATFORM.PACKAGES.OTHER_PYPI"

// createOther creates the repository OTHER_PYPI beside the request's own.
func createOther(t *testing.T, sb *sfsandbox.Sandbox) {
	t.Helper()
	names := workflow.NamesFor(sb.Request)
	secret := sfobject.Qualified(sb.Request.Snowflake, names.Secret)
	sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+otherRepository+" TYPE = PYPI API_INTEGRATION = "+names.Integration+
		" INDEX_URL = '"+sfsandbox.IndexURL+"' AUTHENTICATION_SECRET = "+secret)
}

// TestSandboxTeardownReleasesUnsetClaim claims the schema for a request
// whose run stopped before it set the parameter, tears that request down,
// and then runs the default step of a second request on the same schema,
// which the released claim lets through.
func TestSandboxTeardownReleasesUnsetClaim(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	createOther(t, sb)
	first := sb.Document()
	repo := sfobject.Qualified(first.Request.Snowflake, workflow.NamesFor(first.Request).Repository)
	err := defaultrepo.TakeLevel(t.Context(), sb.Env.Defaults, sb.Conn, first.Request, "schema", "SCHEMA PLATFORM.PACKAGES", repo, false)
	if err != nil {
		t.Fatalf("TakeLevel: %v", err)
	}

	second := sb.Document()
	second.Request.ID = "DATA-4799"
	second.Request.Repository.Name = "other_pypi"
	if _, err := defaultrepo.Run(t.Context(), sb.Env, second); workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("default step of the second request before the teardown = %v, want a Conflict", err)
	}

	if _, err := Run(t.Context(), sb.Env, first); err != nil {
		t.Fatalf("teardown of the first request: %v", err)
	}
	if _, err := defaultrepo.Run(t.Context(), sb.Env, second); err != nil {
		t.Fatalf("default step of the second request after the teardown: %v", err)
	}
	if got := defaultOn(t, sb, "SCHEMA PLATFORM.PACKAGES", "SCHEMA"); got != otherRepository {
		t.Errorf("schema default = %q, want %s", got, otherRepository)
	}
}

// TestSandboxTeardownNamesReplacedDefault lets a person set the schema
// default to another repository, runs the default step, which replaces it,
// and tears the request down. Teardown leaves the schema unset and its
// notes name the value that the run replaced.
func TestSandboxTeardownNamesReplacedDefault(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	createOther(t, sb)
	sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+otherRepository)
	doc := sb.Document()
	if _, err := defaultrepo.Run(t.Context(), sb.Env, doc); err != nil {
		t.Fatalf("default step: %v", err)
	}
	recorded, err := defaultrepo.Recorded(t.Context(), sb.Env.Defaults, doc.Request)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0].Replaced != otherRepository {
		t.Fatalf("records = %+v, want one whose Replaced is %s", recorded, otherRepository)
	}

	out, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if got := defaultOn(t, sb, "SCHEMA PLATFORM.PACKAGES", "SCHEMA"); got != "" {
		t.Errorf("schema default after teardown = %q, want unset", got)
	}
	want := "the default on SCHEMA PLATFORM.PACKAGES was " + otherRepository + " before a run of request " +
		doc.Request.ID + " replaced it; teardown left it unset, so set it again if it should stay the default"
	if !slices.Contains(out.Notes, want) {
		t.Errorf("notes = %q, want %q", out.Notes, want)
	}
}
