package preflight

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// TestSandboxStepChecksDefaultLevel runs preflight for a request whose
// default_for names the schema, which a run of another request set. The
// step fails with a Conflict while the schema names that request's
// repository, and passes once a person pointed it elsewhere.
func TestSandboxStepChecksDefaultLevel(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	tests := []struct {
		name string
		// schemaDefault is the repository that the schema names.
		schemaDefault string
		wantConflict  bool
	}{
		{"names the other request's repository", other, true},
		{"changed by a person", "PLATFORM.PACKAGES.HAND_MADE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := startIndex(t)
			sb := sfsandbox.Start(t)
			sb.CreateObjects(t)
			for _, repo := range []string{other, "PLATFORM.PACKAGES.HAND_MADE"} {
				sb.Exec(t, "CREATE ARTIFACT REPOSITORY "+repo+" TYPE = PYPI API_INTEGRATION = corp_pypi_INTEGRATION INDEX_URL = 'https://pypi.example.internal/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.corp_pypi_SECRET")
			}
			sb.Exec(t, "ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = "+tt.schemaDefault)
			defaults := &sfsandbox.Defaults{}
			err := defaults.Put(t.Context(), workflow.DefaultSetting{
				Account: sb.Request.Snowflake.Account, Request: "DATA-4799", Level: "schema",
				Database: "PLATFORM", Schema: "PACKAGES", Target: "SCHEMA PLATFORM.PACKAGES", Repository: other,
			})
			if err != nil {
				t.Fatal(err)
			}
			env := &workflow.Env{
				Secrets:   fakeSecrets{passwordRef: testPassword},
				Now:       time.Now,
				Logger:    slog.New(slog.DiscardHandler),
				Snowflake: sb.Env.Snowflake,
				Defaults:  defaults,
			}
			doc := sandboxDocument(sb)
			doc.Request.ID = sb.Request.ID
			doc.Request.Repository.DefaultFor = "schema"

			_, err = New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, doc)

			if !tt.wantConflict {
				if err != nil {
					t.Fatalf("step: %v", err)
				}
				return
			}
			if got := workflow.NameOf(err); got != workflow.ErrConflict {
				t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
			}
			for _, want := range []string{"names " + other, "request DATA-4799", "repository.default_for"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
