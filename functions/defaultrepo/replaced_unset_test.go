package defaultrepo

import (
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
)

// TestSandboxUnsetReplacedDefaultNoted sets a schema default by hand, runs
// the request with default_for schema, which replaces it, and then runs it
// with default_for database or none. The second run unsets the schema, so
// its ID and notes name the value that the first run replaced.
func TestSandboxUnsetReplacedDefaultNoted(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	tests := []struct {
		defaultFor string
		wantID     string
	}{
		{"database", "DATABASE PLATFORM; unset on the schema; SCHEMA PLATFORM.PACKAGES was " + other +
			" before a run replaced it, and is now unset"},
		{"none", "none; unset on the schema; SCHEMA PLATFORM.PACKAGES was " + other +
			" before a run replaced it, and is now unset"},
	}
	for _, tt := range tests {
		t.Run(tt.defaultFor, func(t *testing.T) {
			sb := sfsandbox.Start(t)
			sb.CreateObjects(t)
			sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+other+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
			sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+other)
			doc := sb.Document()
			first, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("run with default_for schema: %v", err)
			}
			if len(first.Notes) != 0 {
				t.Errorf("notes of the run with default_for schema = %q, want none", first.Notes)
			}

			doc.Request.Repository.DefaultFor = tt.defaultFor
			out, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("run with default_for %s: %v", tt.defaultFor, err)
			}
			if out.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", out.ID, tt.wantID)
			}
			wantNote := "the default on SCHEMA PLATFORM.PACKAGES was " + other + " before a run of request " +
				doc.Request.ID + " replaced it; it is now unset, because $.repository.default_for no longer " +
				"names that level, so set it again if it should stay the default"
			if len(out.Notes) != 1 || out.Notes[0] != wantNote {
				t.Errorf("notes = %q, want [%q]", out.Notes, wantNote)
			}
			if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); level == "SCHEMA" {
				t.Errorf("schema default = %q, want none set on the schema", value)
			}

			again, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if len(again.Notes) != 0 {
				t.Errorf("notes of the rerun = %q, want none", again.Notes)
			}
		})
	}
}
