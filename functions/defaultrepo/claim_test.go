package defaultrepo

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// TestSandboxDefaultLevelOfOtherRequest runs the default step of one
// request and then of a second request with the same default_for. The
// second run fails with a Conflict and leaves the first request's default
// and record alone, so that neither teardown loses the other's default.
func TestSandboxDefaultLevelOfOtherRequest(t *testing.T) {
	sb := startWithFirstDefault(t)
	first := sb.Document()

	second := sb.Document()
	second.Request.ID = "DATA-4799"
	second.Request.Repository.Name = "other_pypi"
	out, err := Run(t.Context(), sb.Env, second)
	if err == nil {
		t.Fatalf("run of the second request = %+v, want a Conflict", out)
	}
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Errorf("error name = %q (%v), want %q", name, err, workflow.ErrConflict)
	}
	if want := "which a run of request " + first.Request.ID + " set"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); level != "SCHEMA" || value != "PLATFORM.PACKAGES.CORP_PYPI" {
		t.Errorf("schema default = %q from %q, want the first request's repository set on SCHEMA", value, level)
	}
	recorded, err := Recorded(t.Context(), sb.Env.Defaults, second.Request)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 0 {
		t.Errorf("records of the second request = %+v, want none", recorded)
	}
	if err := CheckClaim(t.Context(), sb.Env.Defaults, sb.Conn, second.Request); workflow.NameOf(err) != workflow.ErrConflict {
		t.Errorf("CheckClaim = %v, want a Conflict", err)
	}
}

// otherRepository is the artifact repository that startWithFirstDefault
// creates for a second request to name.
const otherRepository = "PLATFORM.PACKAGES.OTHER_PYPI"

// startWithFirstDefault starts a sandbox with the objects of its request
// and otherRepository, and runs the default step of that request.
func startWithFirstDefault(t *testing.T) *sfsandbox.Sandbox {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+otherRepository+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
	if _, err := Run(t.Context(), sb.Env, sb.Document()); err != nil {
		t.Fatalf("run of the first request: %v", err)
	}
	return sb
}
