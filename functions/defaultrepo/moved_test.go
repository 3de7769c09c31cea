package defaultrepo

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/repository"
)

// TestSandboxDefaultMovesFromRunLevel runs the request with default_for
// schema and then with default_for database. The second run unsets the
// schema default that the first run set, whoever created the repository,
// unless a person has pointed the schema at another repository meanwhile.
func TestSandboxDefaultMovesFromRunLevel(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	tests := []struct {
		name   string
		create func(*testing.T, *sfsandbox.Sandbox)
		// changeSchema points the schema default at another repository
		// between the runs.
		changeSchema bool
		// wantSchema is the value that the schema sets itself after the
		// second run, "" when it sets none.
		wantSchema string
		wantID     string
	}{
		{"repository made by hand", createByHand, false, "",
			"DATABASE PLATFORM; unset on the schema"},
		{"own repository", func(t *testing.T, sb *sfsandbox.Sandbox) { sb.CreateObjects(t) }, false, "",
			"DATABASE PLATFORM; unset on the schema"},
		{"repository made by hand, schema changed", createByHand, true, other,
			"DATABASE PLATFORM; left on the schema, which a run set but which now names " + other},
		{"own repository, schema changed", func(t *testing.T, sb *sfsandbox.Sandbox) { sb.CreateObjects(t) }, true, other,
			"DATABASE PLATFORM; left on the schema, which a run set but which now names " + other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sfsandbox.Start(t)
			tt.create(t, sb)
			doc := sb.Document()
			if _, err := repository.Run(t.Context(), sb.Env, doc); err != nil {
				t.Fatalf("repository step: %v", err)
			}
			if _, err := Run(t.Context(), sb.Env, doc); err != nil {
				t.Fatalf("run with default_for schema: %v", err)
			}
			if tt.changeSchema {
				sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+other+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
				sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+other)
			}

			doc.Request.Repository.DefaultFor = "database"
			out, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("run with default_for database: %v", err)
			}
			if out.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", out.ID, tt.wantID)
			}
			schema, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES")
			if level != "SCHEMA" {
				schema = ""
			}
			if schema != tt.wantSchema {
				t.Errorf("schema default = %q, want %q", schema, tt.wantSchema)
			}
			if value, level := valueOn(t, sb, "DATABASE PLATFORM"); level != "DATABASE" || value != "PLATFORM.PACKAGES.CORP_PYPI" {
				t.Errorf("database default = %q from %q, want the repository set on DATABASE", value, level)
			}

			again, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if again.ID != "DATABASE PLATFORM" {
				t.Errorf("rerun ID = %q, want nothing unset or left", again.ID)
			}
			if strings.Contains(again.ID, "unset") {
				t.Errorf("rerun ID = %q, want nothing unset", again.ID)
			}
		})
	}
}

// TestSandboxDefaultOfFormerSchema runs the request with default_for schema
// and then again after the request moved to another schema. The second run
// unsets the default that the first run set on the former schema, unless a
// person has pointed it at another repository meanwhile.
func TestSandboxDefaultOfFormerSchema(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	tests := []struct {
		name         string
		changeFormer bool
		// wantFormer is the value that the former schema sets itself after
		// the second run, "" when it sets none.
		wantFormer string
		wantID     string
	}{
		{"former schema as the run set it", false, "",
			"SCHEMA PLATFORM.PACKAGES_NEW; unset on SCHEMA PLATFORM.PACKAGES"},
		{"former schema changed", true, other,
			"SCHEMA PLATFORM.PACKAGES_NEW; left on SCHEMA PLATFORM.PACKAGES, which a run set but which now names " + other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sfsandbox.Start(t)
			if err := sb.Server.EnsureSchema(sb.Request.Snowflake.Account, "PLATFORM", "PACKAGES_NEW"); err != nil {
				t.Fatalf("create the new schema: %v", err)
			}
			sb.CreateObjects(t)
			doc := sb.Document()
			if _, err := Run(t.Context(), sb.Env, doc); err != nil {
				t.Fatalf("run in the former schema: %v", err)
			}
			if tt.changeFormer {
				sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+other+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
				sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+other)
			}

			sb.Exec(t, "CREATE ARTIFACT REPOSITORY PLATFORM.PACKAGES_NEW.CORP_PYPI TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
			doc.Request.Snowflake.Schema = "PACKAGES_NEW"
			out, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("run in the new schema: %v", err)
			}
			if out.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", out.ID, tt.wantID)
			}
			former, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES")
			if level != "SCHEMA" {
				former = ""
			}
			if former != tt.wantFormer {
				t.Errorf("former schema default = %q, want %q", former, tt.wantFormer)
			}
			if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES_NEW"); level != "SCHEMA" || value != "PLATFORM.PACKAGES_NEW.CORP_PYPI" {
				t.Errorf("new schema default = %q from %q, want the new repository set on SCHEMA", value, level)
			}
			records, err := sb.Env.Defaults.List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(records) != 1 || records[0].Target != "SCHEMA PLATFORM.PACKAGES_NEW" {
				t.Errorf("records = %+v, want only the new schema", records)
			}
		})
	}
}
