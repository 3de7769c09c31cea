package repository

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// startWithRepository starts the sandbox with the request's objects, an
// integration OTHER_INT with the same settings, and the repository
// CORP_PYPI created through integration with comment.
func startWithRepository(t *testing.T, integration, comment string) (*sfsandbox.Sandbox, workflow.Document) {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	secret := "PLATFORM.PACKAGES.CORP_PYPI_SECRET"
	sb.Exec(t, snowflake.CreateAPIIntegration("OTHER_INT", []string{"https://pypi.example.internal"}, []string{secret}, false))
	sb.ExecWithComment(t, snowflake.ReplaceArtifactRepository("PLATFORM", "PACKAGES", "CORP_PYPI", integration, sfsandbox.IndexURL, secret), comment)
	return sb, sb.Document()
}

func apiIntegration(t *testing.T, sb *sfsandbox.Sandbox) string {
	t.Helper()
	rows := sb.Query(t, snowflake.ShowArtifactRepositories("PLATFORM", "PACKAGES", "CORP_PYPI"))
	if len(rows) != 1 {
		t.Fatalf("SHOW ARTIFACT REPOSITORIES = %v, want one row", rows)
	}
	return rows[0]["api_integration"]
}

func TestSandboxHandMadeRepositoryOtherIntegration(t *testing.T) {
	sb, doc := startWithRepository(t, "OTHER_INT", "")

	_, err := Run(t.Context(), sb.Env, doc)

	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Fatalf("Run error = %v (%s), want a Conflict", err, name)
	}
	for _, want := range []string{"artifact repository PLATFORM.PACKAGES.CORP_PYPI", "API_INTEGRATION is OTHER_INT", "the request expects CORP_PYPI_INTEGRATION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if got := apiIntegration(t, sb); got != "OTHER_INT" {
		t.Errorf("api_integration after the conflict = %q, want OTHER_INT unchanged", got)
	}
}

func TestSandboxOwnRepositoryReplaced(t *testing.T) {
	sb, doc := startWithRepository(t, "OTHER_INT", sfobject.OwnerComment(sfsandbox.RequestID))

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Updated {
		t.Errorf("action = %q, want %q", out.Action, workflow.Updated)
	}
	if got := apiIntegration(t, sb); got != "CORP_PYPI_INTEGRATION" {
		t.Errorf("api_integration after the update = %q, want CORP_PYPI_INTEGRATION", got)
	}
	rows := sb.Query(t, snowflake.ShowArtifactRepositories("PLATFORM", "PACKAGES", "CORP_PYPI"))
	if owner := sfobject.Owner(rows[0]); owner != sfsandbox.RequestID {
		t.Errorf("owner after the update = %q, want %s", owner, sfsandbox.RequestID)
	}
}

func TestSandboxOwnRepositorySetsIndexURL(t *testing.T) {
	sb, doc := startWithRepository(t, "CORP_PYPI_INTEGRATION", sfobject.OwnerComment(sfsandbox.RequestID))
	doc.Request.Repository.IndexURL = "https://elsewhere.example/simple/"

	_, err := Run(t.Context(), sb.Env, doc)

	// The sandbox rejects an INDEX_URL outside the integration's prefixes,
	// so the error shows that the step set the request's URL again.
	if err == nil || !strings.Contains(err.Error(), "API_ALLOWED_PREFIXES") {
		t.Errorf("Run with an index outside the prefixes: %v, want an API_ALLOWED_PREFIXES error", err)
	}

	doc.Request.Repository.IndexURL = sfsandbox.IndexURL
	out, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Updated {
		t.Errorf("action = %q, want %q", out.Action, workflow.Updated)
	}
}

func TestSandboxHandMadeRepositoryAdopted(t *testing.T) {
	sb, doc := startWithRepository(t, "CORP_PYPI_INTEGRATION", "")

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Action, workflow.Adopted)
	}
}
