package integration

import (
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// startRace starts the sandbox with the request's secret and returns the
// document and the race in which the integration that the request expects
// appears before the step's CREATE API INTEGRATION.
func startRace(t *testing.T) (*sfsandbox.Sandbox, workflow.Document, sfsandbox.Race) {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "token-value"))
	doc := sb.Document()
	spec, err := sfobject.ExpectedIntegration(doc.Request)
	if err != nil {
		t.Fatal(err)
	}
	race := sfsandbox.Race{
		Prefix: "CREATE API INTEGRATION",
		Create: snowflake.CreateAPIIntegration("CORP_PYPI_INTEGRATION", spec.Prefixes, spec.Secrets, spec.PrivateLink),
		Object: "API integration CORP_PYPI_INTEGRATION",
		Show:   snowflake.ShowAPIIntegrations("CORP_PYPI_INTEGRATION"),
		Run:    Run,
	}
	return sb, doc, race
}

func TestIntegrationCreatedMeanwhileByOtherRequest(t *testing.T) {
	sb, doc, race := startRace(t)
	sb.CheckRaceByOtherRequest(t, race, doc)
}

func TestIntegrationCreatedMeanwhileRerunByOwner(t *testing.T) {
	sb, doc, race := startRace(t)

	out := sb.RerunRaceByOwner(t, race, doc)

	if out.Action != workflow.Adopted {
		t.Errorf("rerun action = %q, want %q", out.Action, workflow.Adopted)
	}
}

func TestIntegrationCreatedMeanwhileByHand(t *testing.T) {
	sb, doc, race := startRace(t)
	sb.CheckRaceByHand(t, race, doc)
}

func TestIntegrationCreatedOnceRerunAdopts(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "token-value"))
	doc := sb.Document()

	first, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	again, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}

	if first.Action != workflow.Created {
		t.Errorf("first action = %q, want %q", first.Action, workflow.Created)
	}
	if again.Action != workflow.Adopted {
		t.Errorf("rerun action = %q, want %q", again.Action, workflow.Adopted)
	}
}
