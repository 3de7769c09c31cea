package repository

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// otherRequest is the request that creates the repository between the
// step's lookup and its CREATE ARTIFACT REPOSITORY IF NOT EXISTS.
const otherRequest = "DATA-9000"

// startRace starts the sandbox with the request's secret and integration
// and makes the step's CREATE ARTIFACT REPOSITORY first create the
// repository that the request expects, marked for requestID unless it is
// "". It returns the document and a function that reports whether that
// create ran.
func startRace(t *testing.T, requestID string) (*sfsandbox.Sandbox, workflow.Document, func() bool) {
	t.Helper()
	sb := sfsandbox.Start(t)
	secret := "PLATFORM.PACKAGES.CORP_PYPI_SECRET"
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "token-value"))
	sb.Exec(t, snowflake.CreateAPIIntegration("CORP_PYPI_INTEGRATION", []string{"https://pypi.example.internal"}, []string{secret}, false))
	stmt := snowflake.CreateArtifactRepository("PLATFORM", "PACKAGES", "CORP_PYPI", "CORP_PYPI_INTEGRATION", sfsandbox.IndexURL, secret)
	if requestID != "" {
		stmt = sfobject.WithOwner(stmt, requestID)
	}
	ran := sb.CreateBefore(t, "CREATE ARTIFACT REPOSITORY", stmt)
	return sb, sb.Document(), ran
}

func TestRepositoryCreatedMeanwhileByOtherRequest(t *testing.T) {
	sb, doc, ran := startRace(t, otherRequest)

	out, err := Run(t.Context(), sb.Env, doc)

	if !ran() {
		t.Fatal("the step ran no CREATE ARTIFACT REPOSITORY, so the other request never created the repository")
	}
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Fatalf("Run = %+v, %v (%s), want a Conflict", out, err, name)
	}
	for _, want := range []string{"artifact repository PLATFORM.PACKAGES.CORP_PYPI", "created for request " + otherRequest} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if out.Action == workflow.Created {
		t.Errorf("action = %q after a Conflict", out.Action)
	}
	rows := sb.Query(t, snowflake.ShowArtifactRepositories("PLATFORM", "PACKAGES", "CORP_PYPI"))
	if len(rows) != 1 || sfobject.Owner(rows[0]) != otherRequest {
		t.Errorf("SHOW ARTIFACT REPOSITORIES = %v, want one row owned by %s", rows, otherRequest)
	}
}

func TestRepositoryCreatedMeanwhileRerunByOwner(t *testing.T) {
	sb, doc, _ := startRace(t, otherRequest)
	if _, err := Run(t.Context(), sb.Env, doc); workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run error = %v, want a Conflict", err)
	}
	doc.Request.ID = otherRequest

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("rerun by the owner: %v", err)
	}
	// The owner's own repository gets its INDEX_URL again, which is an
	// update, because Snowflake does not show it.
	if out.Action != workflow.Updated {
		t.Errorf("rerun action = %q, want %q", out.Action, workflow.Updated)
	}
}

func TestRepositoryCreatedMeanwhileByHand(t *testing.T) {
	sb, doc, _ := startRace(t, "")

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Action, workflow.Adopted)
	}
}
