package defaultrepo

import (
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// valueOn returns the value and level of DEFAULT_PYTHON_ARTIFACT_REPOSITORY
// as SHOW PARAMETERS IN target prints them.
func valueOn(t *testing.T, sb *sfsandbox.Sandbox, target string) (string, string) {
	t.Helper()
	rows := sb.Query(t, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN "+target)
	if len(rows) != 1 {
		t.Fatalf("SHOW PARAMETERS IN %s returned %d rows, want 1", target, len(rows))
	}
	return rows[0]["value"], rows[0]["level"]
}

func TestSandboxDefaultNoneUnsets(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	ctx := t.Context()
	doc := workflow.Document{Request: sb.Request}

	first, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if first.Action != workflow.Updated {
		t.Errorf("first run action = %q, want updated", first.Action)
	}
	if value, _ := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); value != "PLATFORM.PACKAGES.CORP_PYPI" {
		t.Fatalf("schema default after the first run = %q, want PLATFORM.PACKAGES.CORP_PYPI", value)
	}

	doc.Request.Repository.DefaultFor = "none"
	changed, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("run with default_for none: %v", err)
	}
	if changed.Action != workflow.Updated {
		t.Errorf("default_for none action = %q (%s), want updated", changed.Action, changed.ID)
	}
	if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); value != "" {
		t.Errorf("schema default after default_for none = %q on %q, want unset", value, level)
	}

	again, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Action != workflow.Skipped {
		t.Errorf("rerun action = %q (%s), want skipped", again.Action, again.ID)
	}
}

func TestSandboxDefaultMovesLevel(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	ctx := t.Context()
	doc := workflow.Document{Request: sb.Request}
	if _, err := Run(ctx, sb.Env, doc); err != nil {
		t.Fatalf("first run: %v", err)
	}

	doc.Request.Repository.DefaultFor = "database"
	out, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("run with default_for database: %v", err)
	}
	if out.Action != workflow.Updated {
		t.Errorf("action = %q, want updated", out.Action)
	}
	if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); level != "DATABASE" || value != "PLATFORM.PACKAGES.CORP_PYPI" {
		t.Errorf("schema default = %q from %q, want the repository inherited from DATABASE", value, level)
	}

	again, err := Run(ctx, sb.Env, doc)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Action != workflow.Adopted {
		t.Errorf("rerun action = %q (%s), want adopted", again.Action, again.ID)
	}
}

func TestSandboxDefaultKeepsOtherRepository(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Exec(t, "CREATE ARTIFACT REPOSITORY PLATFORM.PACKAGES.OTHER_PYPI TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
	sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = PLATFORM.PACKAGES.OTHER_PYPI")
	doc := workflow.Document{Request: sb.Request}
	doc.Request.Repository.DefaultFor = "none"

	out, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Skipped {
		t.Errorf("action = %q (%s), want skipped", out.Action, out.ID)
	}
	if value, _ := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); value != "PLATFORM.PACKAGES.OTHER_PYPI" {
		t.Errorf("schema default = %q, want OTHER_PYPI kept", value)
	}
}
