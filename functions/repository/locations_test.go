package repository

import (
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestSandboxCreateRecordsLocation(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.RecordLocationsInDynamo(t)
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
	sb.CheckLocations(t, workflow.LocationOf(sb.Request))
}
