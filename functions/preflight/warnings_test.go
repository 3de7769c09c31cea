package preflight

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/workflow"
)

// TestStepOutputsWarnings checks that the step's output carries each
// check that warned, with its fix, so that run and status can show it.
func TestStepOutputsWarnings(t *testing.T) {
	idx := startIndex(t)
	env := &workflow.Env{Secrets: fakeSecrets{passwordRef: testPassword}, Now: time.Now, Logger: slog.New(slog.DiscardHandler), Snowflake: emptyAccount}
	in := document()
	// An index URL without the trailing slash of /simple/ warns.
	in.Request.Repository.IndexURL = "https://" + repoHost + "/simple"

	out, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, in)
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	if len(out.Warnings) != 1 {
		t.Fatalf("warnings = %+v, want one for index_url", out.Warnings)
	}
	warning := out.Warnings[0]
	if warning.Check != "index_url" {
		t.Errorf("warning check = %q, want index_url", warning.Check)
	}
	if !strings.Contains(warning.Detail, "does not end in /simple/") {
		t.Errorf("warning detail = %q, want the reason", warning.Detail)
	}
	if !strings.Contains(warning.Fix, "https://"+repoHost+"/simple/") {
		t.Errorf("warning fix = %q, want the suggested index URL", warning.Fix)
	}
	if strings.Contains(warning.Detail+warning.Fix, testPassword) {
		t.Error("warning contains the index password")
	}
}
