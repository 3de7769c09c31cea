package defaultrepo

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/repository"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// accountDefault returns the value of DEFAULT_PYTHON_ARTIFACT_REPOSITORY
// that the account sets itself, or "" when it sets none.
func accountDefault(t *testing.T, sb *sfsandbox.Sandbox) string {
	t.Helper()
	if value, level := valueOn(t, sb, "ACCOUNT"); level == "ACCOUNT" {
		return value
	}
	return ""
}

// createByHand creates the request's repository as a person would, without
// the COMMENT of a request, on a secret and integration of the request.
func createByHand(t *testing.T, sb *sfsandbox.Sandbox) {
	t.Helper()
	sf := sb.Request.Snowflake
	names := workflow.NamesFor(sb.Request)
	secret := sfobject.Qualified(sf, names.Secret)
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, "token-value"), sb.Request.ID))
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateAPIIntegration(names.Integration, []string{"https://pypi.example.internal"}, []string{secret}, false), sb.Request.ID))
	sb.Exec(t, snowflake.CreateArtifactRepository(sf.Database, sf.Schema, names.Repository, names.Integration, sfsandbox.IndexURL, secret))
}

// TestSandboxDefaultOnOtherLevelByOwner sets the account default to the
// request's repository before a run with default_for schema. The run keeps
// it when a person made the repository and the run adopted it, and unsets
// it when the request created the repository.
func TestSandboxDefaultOnOtherLevelByOwner(t *testing.T) {
	tests := []struct {
		name   string
		create func(*testing.T, *sfsandbox.Sandbox)
		// wantRepository is the action of the repository step.
		wantRepository string
		// wantAccount is the account default after the run.
		wantAccount string
		wantID      string
	}{
		{"repository made by hand", createByHand, workflow.Adopted, "PLATFORM.PACKAGES.CORP_PYPI",
			"SCHEMA PLATFORM.PACKAGES; kept on the account, where it names a repository not created by repolink"},
		{"own repository", func(t *testing.T, sb *sfsandbox.Sandbox) { sb.CreateObjects(t) }, workflow.Updated, "",
			"SCHEMA PLATFORM.PACKAGES; unset on the account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sfsandbox.Start(t)
			tt.create(t, sb)
			sb.Exec(t, "ALTER ACCOUNT SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = PLATFORM.PACKAGES.CORP_PYPI")
			doc := sb.Document()
			if doc.Request.Repository.DefaultFor != "schema" {
				t.Fatalf("sandbox request default_for = %q, want schema", doc.Request.Repository.DefaultFor)
			}
			repo, err := repository.Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("repository step: %v", err)
			}
			if repo.Action != tt.wantRepository {
				t.Fatalf("repository step action = %q, want %q", repo.Action, tt.wantRepository)
			}

			out, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if out.Action != workflow.Updated {
				t.Errorf("action = %q (%s), want updated", out.Action, out.ID)
			}
			if out.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", out.ID, tt.wantID)
			}
			if got := accountDefault(t, sb); got != tt.wantAccount {
				t.Errorf("account default = %q, want %q", got, tt.wantAccount)
			}
			if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); level != "SCHEMA" || value != "PLATFORM.PACKAGES.CORP_PYPI" {
				t.Errorf("schema default = %q from %q, want the repository set on SCHEMA", value, level)
			}

			again, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if again.Action != workflow.Adopted {
				t.Errorf("rerun action = %q (%s), want adopted", again.Action, again.ID)
			}
			if strings.Contains(again.ID, "unset") {
				t.Errorf("rerun ID = %q, want nothing unset", again.ID)
			}
			if got := accountDefault(t, sb); got != tt.wantAccount {
				t.Errorf("account default after the rerun = %q, want %q", got, tt.wantAccount)
			}
		})
	}
}
