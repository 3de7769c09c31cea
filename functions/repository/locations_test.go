package repository

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestSandboxCreateRecordsLocation(t *testing.T) {
	server := dynamotest.Start(t)
	server.CreateTable(t, "repolink-test")
	locations := dynamo.New(server.Client(), "repolink-test").Locations()
	sb := sfsandbox.Start(t)
	sb.Env.Locations = locations
	names := workflow.NamesFor(sb.Request)
	sf := sb.Request.Snowflake
	secret := sfobject.Qualified(sf, names.Secret)
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, "token-value"), sb.Request.ID))
	sb.Exec(t, sfobject.WithOwner(snowflake.CreateAPIIntegration(names.Integration, []string{"https://pypi.example.internal/"}, []string{secret}, false), sb.Request.ID))

	out, err := Run(t.Context(), sb.Env, sb.Document())

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Created {
		t.Errorf("action = %s, want created", out.Action)
	}
	got, err := locations.List(t.Context(), sb.Request.ID)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{workflow.LocationOf(sb.Request)}, got); diff != "" {
		t.Errorf("recorded locations (-want +got):\n%s", diff)
	}
}
