package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/workflow"
)

// TestRunNamesReplacedHandSetDefault provisions a request without a default
// level, lets a person set the schema default to another repository, and
// then plans and runs the request with default_for schema. The run replaces
// the person's value, and plan, the run's output and its log name that
// value.
func TestRunNamesReplacedHandSetDefault(t *testing.T) {
	dir, sandbox, schema := prepareHandSetDefault(t)
	replaced := "replacing PLATFORM.PACKAGES.TEAM_PYPI, which no run of request DATA-4721 set"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, schema)
	if code != exitOK {
		t.Fatalf("plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, replaced) {
		t.Errorf("plan output lacks %q:\n%s", replaced, out)
	}

	code, out, errOut = runCLI(t, append([]string{"run", "--verbose"}, append(sandbox, schema)...)...)
	if code != exitOK {
		t.Fatalf("run with default_for schema: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "replaced PLATFORM.PACKAGES.TEAM_PYPI, which no run of request DATA-4721 set"; !strings.Contains(out, want) {
		t.Errorf("run output lacks %q:\n%s", want, out)
	}
	if want := "previous=PLATFORM.PACKAGES.TEAM_PYPI"; !strings.Contains(errOut, want) {
		t.Errorf("run log lacks %q:\n%s", want, errOut)
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, schema)
	if code != exitOK {
		t.Fatalf("plan after the run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "replacing") {
		t.Errorf("plan after the run still reports a replaced value:\n%s", out)
	}
}

// prepareHandSetDefault runs the public request with default_for none in
// the sandbox in a new state directory, and sets the schema default to
// PLATFORM.PACKAGES.TEAM_PYPI by hand. It returns the state directory, the
// flags that select that sandbox, and the path of the same request with
// default_for schema.
func prepareHandSetDefault(t *testing.T) (dir string, sandbox []string, schema string) {
	t.Helper()
	dir = t.TempDir()
	sandbox = []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir}
	none := writePublicRequest(t, "none.json", func(doc map[string]any) {
		section(doc, "repository")["default_for"] = "none"
	})
	if code, out, errOut := runCLI(t, append([]string{"run"}, append(sandbox, none)...)...); code != exitOK {
		t.Fatalf("run with default_for none: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	setSchemaDefaultByHand(t, dir, "PLATFORM.PACKAGES.TEAM_PYPI")

	schema = writePublicRequest(t, "schema.json", func(doc map[string]any) {
		section(doc, "repository")["default_for"] = "schema"
	})
	return dir, sandbox, schema
}

// setSchemaDefaultByHand creates the repository repo beside the request's
// own, as a person would, and sets it as the schema default of the sandbox
// in dir, so that no run records the level.
func setSchemaDefaultByHand(t *testing.T, dir, repo string) {
	t.Helper()
	req := exampleRequest(t, "DATA-4721")
	ctx := context.Background()
	rt, err := openRuntime(ctx, runtimeOptions{
		dir:     dir,
		sandbox: true,
		hosts:   requestHosts(req),
		logger:  slog.New(slog.DiscardHandler),
		poll:    20 * time.Millisecond,
		instant: true,
	})
	if err != nil {
		t.Fatalf("open runtime: %v", err)
	}
	defer rt.Close()
	conn, err := rt.env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		t.Fatalf("snowflake session: %v", err)
	}
	names := workflow.NamesFor(req)
	for _, stmt := range []string{
		"CREATE ARTIFACT REPOSITORY " + repo + " TYPE = PYPI API_INTEGRATION = " + names.Integration +
			" INDEX_URL = 'https://pypi.public.example.com/team/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES." + names.Secret,
		"ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = " + repo,
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}
