package teardownsnowflake

import (
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// shownNames runs the SHOW statement stmt on sb and returns the name of
// each object it lists, after the value of its column qualifier and a dot,
// in sorted order.
func shownNames(t *testing.T, sb *sfsandbox.Sandbox, stmt, qualifier string) []string {
	t.Helper()
	var names []string
	for _, row := range sb.Query(t, stmt) {
		names = append(names, row[qualifier]+"."+row["name"])
	}
	slices.Sort(names)
	return names
}

// startSandbox starts the sandbox Snowflake for the request of
// sfsandbox.Start, with the schemas PLATFORM.PACKAGES and schemas, each
// written DATABASE.SCHEMA.
func startSandbox(t *testing.T, schemas ...string) *sfsandbox.Sandbox {
	t.Helper()
	sb := sfsandbox.Start(t)
	for _, schema := range schemas {
		database, name, _ := strings.Cut(schema, ".")
		if err := sb.Server.EnsureSchema(sb.Request.Snowflake.Account, database, name); err != nil {
			t.Fatalf("create schema %s: %v", schema, err)
		}
	}
	return sb
}

// TestRunSandboxClonesAndFailedDrop runs the teardown against the sandbox
// Snowflake, with copies of the request's objects in a cloned database and
// an earlier repository whose drop fails.
func TestRunSandboxClonesAndFailedDrop(t *testing.T) {
	ctx := t.Context()
	sb := startSandbox(t, "PLATFORM_DEV.PACKAGES")
	server, conn, req := sb.Server, sb.Conn, sb.Request
	names := workflow.NamesFor(req)
	create := func(database, repository, integration, secret string) {
		t.Helper()
		for _, stmt := range []string{
			snowflake.CreateSecretGeneric(database, "PACKAGES", secret, "token-value"),
			snowflake.CreateAPIIntegration(integration, []string{"https://pypi.example.internal/"}, []string{database + ".PACKAGES." + secret}, false),
			snowflake.CreateArtifactRepository(database, "PACKAGES", repository, integration, "https://pypi.example.internal/simple", database+".PACKAGES."+secret),
		} {
			if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
				t.Fatalf("create %q: %v", strings.Fields(stmt)[1], err)
			}
		}
	}
	create("PLATFORM", names.Repository, names.Integration, names.Secret)
	create("PLATFORM", "OLD_PYPI", "OLD_PYPI_INTEGRATION", "OLD_PYPI_SECRET")
	// A clone of the database copies the repository and secret with their
	// comment. The sandbox has no CLONE, so the copies are created there.
	create("PLATFORM_DEV", "DEV_PYPI", "DEV_PYPI_INTEGRATION", "DEV_PYPI_SECRET")

	failing := "DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.OLD_PYPI"
	server.SetFault(func(sql string) error {
		if sql == failing {
			return &sfsim.SQLError{Code: snowflake.CodeInsufficientPrivs, Message: "Insufficient privileges to operate on artifact repository 'OLD_PYPI'."}
		}
		return nil
	})
	env := &workflow.Env{Snowflake: sb.Env.Snowflake}
	out, err := Run(ctx, env, workflow.Document{Request: req})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	server.SetFault(nil)

	var keptNames []string
	for _, k := range out.Kept {
		keptNames = append(keptNames, k.Type+" "+k.Name)
	}
	for _, want := range []string{
		"ARTIFACT REPOSITORY PLATFORM.PACKAGES.OLD_PYPI",
		"ARTIFACT REPOSITORY PLATFORM_DEV.PACKAGES.DEV_PYPI",
		"SECRET PLATFORM_DEV.PACKAGES.DEV_PYPI_SECRET",
	} {
		if !slices.Contains(keptNames, want) {
			t.Errorf("kept = %q, want it to list %s", keptNames, want)
		}
	}

	left := func(stmt string) []string {
		t.Helper()
		return shownNames(t, sb, stmt, "database_name")
	}
	if got := left("SHOW ARTIFACT REPOSITORIES IN ACCOUNT"); !slices.Equal(got, []string{"PLATFORM.OLD_PYPI", "PLATFORM_DEV.DEV_PYPI"}) {
		t.Errorf("repositories left = %q, want the failed one and the clone's", got)
	}
	if got := left("SHOW SECRETS IN ACCOUNT"); !slices.Equal(got, []string{"PLATFORM_DEV.DEV_PYPI_SECRET"}) {
		t.Errorf("secrets left = %q, want only the clone's", got)
	}
}
