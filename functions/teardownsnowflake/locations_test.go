package teardownsnowflake

import (
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TestRunSandboxRecordedLocations tears down a request whose earlier runs
// created objects in the schemas STAGING and SHARED, known only from the
// object location records in DynamoDB, as on the Lambda deployment. In
// SHARED another request has since created the secret under the same name.
func TestRunSandboxRecordedLocations(t *testing.T) {
	ctx := t.Context()
	sb := startSandbox(t, "PLATFORM.STAGING", "PLATFORM.SHARED")
	locations := sb.RecordLocationsInDynamo(t)
	server, conn, req := sb.Server, sb.Conn, sb.Request
	env := &workflow.Env{Snowflake: sb.Env.Snowflake, Locations: locations}
	names := workflow.NamesFor(req)
	// Each run records its location and creates its secret, with the
	// comment of owner, before the integration, which names every secret.
	// Its repository comes last.
	schemas := []string{"STAGING", "SHARED", "PACKAGES"}
	owners := []string{req.ID, "DATA-9999", req.ID}
	var secrets []string
	for i, schema := range schemas {
		run := req
		run.Snowflake.Schema = schema
		if err := workflow.RecordLocation(ctx, env, run); err != nil {
			t.Fatalf("record location in %s: %v", schema, err)
		}
		stmt := sfobject.WithOwner(snowflake.CreateSecretGeneric("PLATFORM", schema, names.Secret, "token-value"), owners[i])
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("create secret in %s: %v", schema, err)
		}
		secrets = append(secrets, "PLATFORM."+schema+"."+names.Secret)
	}
	integration := snowflake.CreateAPIIntegration(names.Integration, []string{"https://pypi.example.internal/"}, secrets, false)
	if err := conn.Exec(ctx, sfobject.WithOwner(integration, req.ID)); err != nil {
		t.Fatalf("create integration: %v", err)
	}
	for i, schema := range schemas {
		stmt := snowflake.CreateArtifactRepository("PLATFORM", schema, names.Repository, names.Integration,
			"https://pypi.example.internal/simple", secrets[i])
		if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
			t.Fatalf("create repository in %s: %v", schema, err)
		}
	}

	left := func(stmt string) []string {
		t.Helper()
		return shownNames(t, sb, stmt, "schema_name")
	}
	recorded := func() []string {
		t.Helper()
		list, err := locations.List(ctx, req.ID)
		if err != nil {
			t.Fatalf("list locations: %v", err)
		}
		var schemas []string
		for _, l := range list {
			schemas = append(schemas, l.Schema)
		}
		return schemas
	}
	keptNames := func(out Output) []string {
		var names []string
		for _, k := range out.Kept {
			names = append(names, k.Type+" "+k.Name)
		}
		slices.Sort(names)
		return names
	}

	// The first teardown cannot drop the repository in STAGING, so that
	// location stays recorded for the next one.
	failing := "DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.STAGING.CORP_PYPI"
	server.SetFault(func(sql string) error {
		if sql == failing {
			return &sfsim.SQLError{Code: snowflake.CodeInsufficientPrivs, Message: "Insufficient privileges to operate on artifact repository 'CORP_PYPI'."}
		}
		return nil
	})
	out, err := Run(ctx, env, workflow.Document{Request: req})
	server.SetFault(nil)
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if out.Action != workflow.Deleted {
		t.Errorf("first Run action = %q, want %q", out.Action, workflow.Deleted)
	}
	wantKept := []string{"ARTIFACT REPOSITORY PLATFORM.STAGING.CORP_PYPI", "SECRET PLATFORM.SHARED.CORP_PYPI_SECRET"}
	if got := keptNames(out); !slices.Equal(got, wantKept) {
		t.Errorf("first Run kept %q, want %q", got, wantKept)
	}
	for _, k := range out.Kept {
		if k.Name == "PLATFORM.SHARED.CORP_PYPI_SECRET" && !strings.Contains(k.Reason, "created for request DATA-9999") {
			t.Errorf("reason for the secret of DATA-9999 = %q, want it to name that request", k.Reason)
		}
	}
	if got, want := left("SHOW ARTIFACT REPOSITORIES IN ACCOUNT"), []string{"STAGING.CORP_PYPI"}; !slices.Equal(got, want) {
		t.Errorf("repositories after the first Run = %q, want %q", got, want)
	}
	if got, want := left("SHOW SECRETS IN ACCOUNT"), []string{"SHARED.CORP_PYPI_SECRET"}; !slices.Equal(got, want) {
		t.Errorf("secrets after the first Run = %q, want %q", got, want)
	}
	if got, want := recorded(), []string{"STAGING"}; !slices.Equal(got, want) {
		t.Errorf("locations after the first Run = %q, want %q", got, want)
	}

	out, err = Run(ctx, env, workflow.Document{Request: req})
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if out.Action != workflow.Deleted {
		t.Errorf("second Run action = %q, want %q", out.Action, workflow.Deleted)
	}
	if got := keptNames(out); len(got) != 0 {
		t.Errorf("second Run kept %q, want nothing", got)
	}
	if got := left("SHOW ARTIFACT REPOSITORIES IN ACCOUNT"); len(got) != 0 {
		t.Errorf("repositories after the second Run = %q, want none", got)
	}
	if got := recorded(); len(got) != 0 {
		t.Errorf("locations after the second Run = %q, want none", got)
	}

	// A third teardown finds nothing and changes nothing.
	out, err = Run(ctx, env, workflow.Document{Request: req})
	if err != nil {
		t.Fatalf("third Run: %v", err)
	}
	if out.Action != workflow.Skipped {
		t.Errorf("third Run action = %q, want %q", out.Action, workflow.Skipped)
	}
	if got := keptNames(out); len(got) != 0 {
		t.Errorf("third Run kept %q, want nothing", got)
	}
	if got, want := left("SHOW SECRETS IN ACCOUNT"), []string{"SHARED.CORP_PYPI_SECRET"}; !slices.Equal(got, want) {
		t.Errorf("secrets after the third Run = %q, want %q", got, want)
	}
}
