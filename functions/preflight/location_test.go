package preflight

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TestSandboxStepChecksLocation runs preflight against the sandbox
// Snowflake, which has PLATFORM.PACKAGES, with database and schema
// variants. A missing one must fail the step with InvalidRequest naming its
// field.
func TestSandboxStepChecksLocation(t *testing.T) {
	idx := startIndex(t)
	sb := sfsandbox.Start(t)
	env := sandboxEnv(sb)

	tests := []struct {
		name, database, schema string
		// want are the texts that the error contains. When empty, the
		// step must pass.
		want []string
	}{
		{"existing names", "PLATFORM", "PACKAGES", nil},
		{"plain names in lower case", "platform", "packages", nil},
		{"quoted names", `"PLATFORM"`, `"PACKAGES"`, nil},
		{"missing database", "NO_SUCH_DB", "PACKAGES",
			[]string{"snowflake.database NO_SUCH_DB does not exist", "myorg-analytics", "ACCOUNTADMIN"}},
		{"missing schema", "PLATFORM", "NO_SUCH_SCHEMA",
			[]string{"snowflake.schema NO_SUCH_SCHEMA does not exist in database PLATFORM"}},
		{"quoted name in another case", "PLATFORM", `"packages"`,
			[]string{`snowflake.schema "packages" does not exist`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sandboxDocument(sb)
			doc.Request.Snowflake.Database = tt.database
			doc.Request.Snowflake.Schema = tt.schema

			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, doc)

			checkStepError(t, err, tt.want)
		})
	}
}

// sandboxEnv returns the step environment for the sandbox tests: the test
// password as the only secret, a discarding logger and sb's Snowflake.
func sandboxEnv(sb *sfsandbox.Sandbox) *workflow.Env {
	return &workflow.Env{
		Secrets:   fakeSecrets{passwordRef: testPassword},
		Now:       time.Now,
		Logger:    slog.New(slog.DiscardHandler),
		Snowflake: sb.Env.Snowflake,
	}
}

// sandboxDocument returns the test document as a public-route request on
// sb's Snowflake, for the repository corp_pypi.
func sandboxDocument(sb *sfsandbox.Sandbox) workflow.Document {
	doc := document()
	doc.Request.Route = request.RoutePublic
	doc.Request.Snowflake = sb.Request.Snowflake
	doc.Request.Repository.Name = "corp_pypi"
	return doc
}

// checkStepError fails t unless err is nil when want is empty, or otherwise
// an InvalidRequest error whose text contains every string in want.
func checkStepError(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("step: %v", err)
		}
		return
	}
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	for _, text := range want {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q lacks %q", err, text)
		}
	}
}
