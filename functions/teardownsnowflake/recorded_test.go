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

// TestSandboxRecordedDefaultAdopted provisions onto a
// repository that a person made and whose account default the person set,
// with default_for schema, so that the default step records the schema.
// Teardown unsets the schema default unless a person changed it since,
// keeps the account default and deletes the records of the request.
func TestSandboxRecordedDefaultAdopted(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	tests := []struct {
		name string
		// changeSchema points the schema default at another repository
		// between the run and the teardown.
		changeSchema bool
		wantSchema   string
		// wantKept is the Output.Kept entry of the schema default, if any.
		wantKept *Kept
	}{
		{name: "schema as the run set it"},
		{name: "schema changed by a person", changeSchema: true, wantSchema: other, wantKept: &Kept{
			Type:   "DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
			Name:   "SCHEMA PLATFORM.PACKAGES",
			Reason: "a run set it to PLATFORM.PACKAGES.CORP_PYPI, but it names " + other + " now",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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

			if _, err := repository.Run(t.Context(), sb.Env, doc); err != nil {
				t.Fatalf("repository step: %v", err)
			}
			if _, err := defaultrepo.Run(t.Context(), sb.Env, doc); err != nil {
				t.Fatalf("default step: %v", err)
			}
			if got := defaultOn(t, sb, "SCHEMA PLATFORM.PACKAGES", "SCHEMA"); got != repo {
				t.Fatalf("schema default after the default step = %q, want %s", got, repo)
			}
			if tt.changeSchema {
				sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+other+" TYPE = PYPI API_INTEGRATION = "+names.Integration+" INDEX_URL = '"+sfsandbox.IndexURL+"' AUTHENTICATION_SECRET = "+secret)
				sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+other)
			}

			out, err := Run(t.Context(), sb.Env, workflow.Document{Request: req})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}

			if got := defaultOn(t, sb, "SCHEMA PLATFORM.PACKAGES", "SCHEMA"); got != tt.wantSchema {
				t.Errorf("schema default after teardown = %q, want %q", got, tt.wantSchema)
			}
			if got := defaultOn(t, sb, "ACCOUNT", "ACCOUNT"); got != repo {
				t.Errorf("account default after teardown = %q, want %s kept", got, repo)
			}
			if tt.wantKept != nil && !slices.Contains(out.Kept, *tt.wantKept) {
				t.Errorf("kept = %+v, want the schema default %+v", out.Kept, *tt.wantKept)
			}
			for _, k := range out.Kept {
				if tt.wantKept == nil && k.Name == "SCHEMA PLATFORM.PACKAGES" {
					t.Errorf("kept = %+v, want the schema default unset", k)
				}
			}
			records, err := sb.Env.Defaults.List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(records) != 0 {
				t.Errorf("records after teardown = %+v, want none", records)
			}
		})
	}
}

// TestSandboxRecordedDefaultFormerSchema runs the default step with
// default_for schema and tears the request down after it moved to another
// schema. Teardown unsets the default that the run set on the former
// schema.
func TestSandboxRecordedDefaultFormerSchema(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	doc := sb.Document()
	if _, err := defaultrepo.Run(t.Context(), sb.Env, doc); err != nil {
		t.Fatalf("default step: %v", err)
	}
	if err := sb.Server.EnsureSchema(doc.Request.Snowflake.Account, "PLATFORM", "PACKAGES_NEW"); err != nil {
		t.Fatalf("create the new schema: %v", err)
	}

	req := doc.Request
	req.Snowflake.Schema = "PACKAGES_NEW"
	if _, err := Run(t.Context(), sb.Env, workflow.Document{Request: req}); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if got := defaultOn(t, sb, "SCHEMA PLATFORM.PACKAGES", "SCHEMA"); got != "" {
		t.Errorf("former schema default after teardown = %q, want none", got)
	}
	records, err := sb.Env.Defaults.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 0 {
		t.Errorf("records after teardown = %+v, want none", records)
	}
}
