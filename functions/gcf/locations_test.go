package gcf

import (
	"context"
	"log/slog"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/teardownsnowflake"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TestLocationRecordsInFirestore records an earlier run of the request in
// the schema STAGING in Firestore, as the functions do, and checks that
// teardown_snowflake drops the repository and secret there and deletes the
// record.
func TestLocationRecordsInFirestore(t *testing.T) {
	_, opts := startGCPSim(t)
	vars := environment(map[string]string{envWaitsCollection: "waits", envProject: "corp-packages-prod"})
	logger := slog.New(slog.DiscardHandler)
	env := newAdapters(logger, opts, stores{locations: newObjectLocations(vars, opts, logger)}).env()
	if _, ok := env.Locations.(*firestoreLocations); !ok {
		t.Fatalf("Locations with a collection is %T, want *firestoreLocations", env.Locations)
	}
	sb := sfsandbox.Start(t)
	env.Snowflake = sb.Env.Snowflake
	ctx := t.Context()
	doc := sb.Document()

	// The earlier run created its secret and repository in STAGING, through
	// the integration that the current run created again.
	earlier := doc.Request
	earlier.Snowflake.Schema = "STAGING"
	if err := sb.Server.EnsureSchema(earlier.Snowflake.Account, earlier.Snowflake.Database, "STAGING"); err != nil {
		t.Fatalf("create schema STAGING: %v", err)
	}
	if err := workflow.RecordLocation(ctx, env, earlier); err != nil {
		t.Fatalf("record the earlier location: %v", err)
	}
	names := workflow.NamesFor(earlier)
	sf := earlier.Snowflake
	secret := sfobject.Qualified(sf, names.Secret)
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, "token-value"), earlier.ID))
	current := sfobject.Qualified(doc.Request.Snowflake, names.Secret)
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateSecretGeneric(doc.Request.Snowflake.Database, doc.Request.Snowflake.Schema, names.Secret, "token-value"), earlier.ID))
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateAPIIntegration(names.Integration, []string{"https://pypi.example.internal/"}, []string{secret, current}, false), earlier.ID))
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateArtifactRepository(sf.Database, sf.Schema, names.Repository, names.Integration, sfsandbox.IndexURL, secret), earlier.ID))

	out, err := teardownsnowflake.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("teardown_snowflake: %v", err)
	}
	if len(out.Kept) != 0 {
		t.Errorf("teardown_snowflake kept %+v, want nothing", out.Kept)
	}
	for _, show := range []string{"SHOW ARTIFACT REPOSITORIES IN ACCOUNT", "SHOW SECRETS IN ACCOUNT"} {
		var left []string
		for _, row := range sb.Query(t, show) {
			left = append(left, row["schema_name"]+"."+row["name"])
		}
		if len(left) != 0 {
			t.Errorf("%s after teardown = %q, want none", show, left)
		}
	}
	list, err := env.Locations.List(ctx, doc.Request.ID)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("locations after teardown = %+v, want none", list)
	}
}

func TestObjectLocationsConfiguration(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	opts := unreachableOptions()

	none := newAdapters(logger, opts, stores{locations: newObjectLocations(environment(nil), opts, logger)})
	if got := none.env().Locations; got != nil {
		t.Errorf("Locations without a collection is %T, want nil", got)
	}

	// A collection without a project fails every call, so that the secret
	// and repository steps create no object that nothing records.
	invalid := newObjectLocations(environment(map[string]string{envWaitsCollection: "waits"}), opts, logger)
	if invalid == nil {
		t.Fatal("Locations with an invalid configuration is nil, want one that fails every call")
	}
	err := invalid.Put(context.Background(), workflow.ObjectLocation{})
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("Put with an invalid configuration = %v, want InvalidRequest", err)
	}
}
