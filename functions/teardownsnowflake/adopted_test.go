package teardownsnowflake

import (
	"slices"
	"testing"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/repository"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// defaultOn returns the value of DEFAULT_PYTHON_ARTIFACT_REPOSITORY that
// target sets on its own level, or "" when it inherits or has none.
func defaultOn(t *testing.T, sb *sfsandbox.Sandbox, target, level string) string {
	t.Helper()
	for _, row := range sb.Query(t, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN "+target) {
		if row["level"] == level {
			return row["value"]
		}
	}
	return ""
}

// TestSandboxKeepsDefaultOfAdoptedRepository provisions onto a repository
// that a person made, with the person's account default naming it, and
// checks that teardown keeps both.
func TestSandboxKeepsDefaultOfAdoptedRepository(t *testing.T) {
	sb := sfsandbox.Start(t)
	doc := sb.Document()
	req := doc.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	secret := sfobject.Qualified(sf, names.Secret)
	repo := sfobject.Qualified(sf, names.Repository)
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, "token-value"), req.ID))
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateAPIIntegration(names.Integration, []string{"https://pypi.example.internal"}, []string{secret}, false), req.ID))
	sb.Exec(t, snowflake.CreateArtifactRepository(sf.Database, sf.Schema, names.Repository, names.Integration, sfsandbox.IndexURL, secret))
	sb.Exec(t, "ALTER ACCOUNT SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+repo)

	adopted, err := repository.Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("repository step: %v", err)
	}
	if adopted.Action != workflow.Adopted {
		t.Fatalf("repository step action = %q, want adopted", adopted.Action)
	}
	doc.Request.Repository.DefaultFor = "account"
	defaultResult, err := defaultrepo.Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("default step: %v", err)
	}
	if defaultResult.Action != workflow.Adopted {
		t.Fatalf("default step action = %q (%s), want adopted", defaultResult.Action, defaultResult.ID)
	}

	out, err := Run(t.Context(), sb.Env, workflow.Document{Request: doc.Request})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if !isKept(out.Kept, stored(kindRepositories, sf.Database, sf.Schema, names.Repository)) {
		t.Errorf("kept = %+v, want the adopted repository %s", out.Kept, repo)
	}
	if got := defaultOn(t, sb, "ACCOUNT", "ACCOUNT"); got != repo {
		t.Errorf("account default after teardown = %q, want %s kept", got, repo)
	}
	wantDefault := Kept{
		Type:   "DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
		Name:   "ACCOUNT",
		Reason: "it names the kept repository " + repo + ", which was not created by repolink, so its owner may have set it",
	}
	if !slices.Contains(out.Kept, wantDefault) {
		t.Errorf("kept = %+v, want the account default %+v", out.Kept, wantDefault)
	}
}
