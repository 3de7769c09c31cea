package grants

import (
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// holders returns the roles that hold privilege on the object of a SHOW
// GRANTS ON statement, sorted.
func holdersOf(t *testing.T, sb *sfsandbox.Sandbox, on, privilege string) []string {
	t.Helper()
	var roles []string
	for _, row := range sb.Query(t, "SHOW GRANTS ON "+on) {
		if row["privilege"] == privilege {
			roles = append(roles, row["grantee_name"])
		}
	}
	slices.Sort(roles)
	return roles
}

func TestSandboxGrantsAndRevokes(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	ctx := t.Context()
	doc := workflow.Document{Request: sb.Request}

	first, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if first.Action != workflow.Created {
		t.Errorf("first run action = %q, want created", first.Action)
	}
	if got := holdersOf(t, sb, "ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI", "READ"); !slices.Equal(got, []string{"DATA_SCIENCE"}) {
		t.Fatalf("READ holders after the first run = %q, want DATA_SCIENCE", got)
	}

	// A role that someone granted READ with another role keeps it.
	sb.Exec(t, "USE ROLE SYSADMIN")
	sb.Exec(t, "GRANT READ ON ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI TO ROLE ANALYST")
	sb.Exec(t, "USE ROLE ACCOUNTADMIN")

	doc.Request.Repository.GrantToRoles = []string{}
	changed, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("run without roles: %v", err)
	}
	if changed.Action != workflow.Updated {
		t.Errorf("run without roles action = %q, want updated", changed.Action)
	}
	if !strings.Contains(changed.ID, "revoked from DATA_SCIENCE") {
		t.Errorf("run without roles ID = %q, want it to name the revoked role", changed.ID)
	}
	if got := holdersOf(t, sb, "ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI", "READ"); !slices.Equal(got, []string{"ANALYST"}) {
		t.Errorf("READ holders after the change = %q, want only ANALYST, whose grant repolink did not make", got)
	}
	if got := holdersOf(t, sb, "INTEGRATION CORP_PYPI_INTEGRATION", "USAGE"); len(got) != 0 {
		t.Errorf("USAGE holders on the integration after the change = %q, want none", got)
	}
	if got := holdersOf(t, sb, "DATABASE PLATFORM", "USAGE"); !slices.Equal(got, []string{"DATA_SCIENCE"}) {
		t.Errorf("USAGE holders on the database = %q, want DATA_SCIENCE kept", got)
	}

	again, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Action != workflow.Skipped {
		t.Errorf("rerun action = %q (%s), want skipped", again.Action, again.ID)
	}
}

func TestSandboxSwapsRoles(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	ctx := t.Context()
	doc := workflow.Document{Request: sb.Request}
	if _, err := Run(ctx, sb.Env, doc); err != nil {
		t.Fatalf("first run: %v", err)
	}

	doc.Request.Repository.GrantToRoles = []string{"ANALYST"}
	out, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("run with another role: %v", err)
	}
	if out.Action != workflow.Updated {
		t.Errorf("action = %q, want updated", out.Action)
	}
	if got := holdersOf(t, sb, "ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI", "READ"); !slices.Equal(got, []string{"ANALYST"}) {
		t.Errorf("READ holders = %q, want only ANALYST", got)
	}
}

func TestSandboxKeepsGrantsOnHandMadeObjects(t *testing.T) {
	sb := sfsandbox.Start(t)
	names := workflow.NamesFor(sb.Request)
	// The integration and repository exist without repolink's COMMENT.
	sb.Exec(t, "CREATE SECRET PLATFORM.PACKAGES.CORP_PYPI_SECRET TYPE = GENERIC_STRING SECRET_STRING = 'token-value'")
	sb.Exec(t, "CREATE API INTEGRATION "+names.Integration+" API_PROVIDER = ARTIFACT_REPOSITORY_API API_ALLOWED_PREFIXES = ('https://pypi.example.internal/') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_PYPI_SECRET) ENABLED = TRUE")
	sb.Exec(t, "CREATE ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI TYPE = PYPI API_INTEGRATION = "+names.Integration+" INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.CORP_PYPI_SECRET")
	sb.Exec(t, "GRANT READ ON ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI TO ROLE ANALYST")

	out, err := Run(t.Context(), sb.Env, workflow.Document{Request: sb.Request})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(out.ID, "kept READ of ANALYST") {
		t.Errorf("ID = %q, want it to say that ANALYST keeps READ", out.ID)
	}
	if got := holdersOf(t, sb, "ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI", "READ"); !slices.Equal(got, []string{"ANALYST", "DATA_SCIENCE"}) {
		t.Errorf("READ holders = %q, want ANALYST kept and DATA_SCIENCE added", got)
	}
}
