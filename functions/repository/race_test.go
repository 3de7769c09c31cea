package repository

import (
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// startRace starts the sandbox with the request's secret and integration
// and returns the race in which the repository that the request expects
// appears before the step's CREATE ARTIFACT REPOSITORY.
func startRace(t *testing.T) (*sfsandbox.Sandbox, sfsandbox.Race) {
	t.Helper()
	sb := sfsandbox.Start(t)
	secret := "PLATFORM.PACKAGES.CORP_PYPI_SECRET"
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "token-value"))
	sb.Exec(t, snowflake.CreateAPIIntegration("CORP_PYPI_INTEGRATION", []string{"https://pypi.example.internal"}, []string{secret}, false))
	race := sfsandbox.Race{
		Prefix: "CREATE ARTIFACT REPOSITORY",
		Create: snowflake.CreateArtifactRepository("PLATFORM", "PACKAGES", "CORP_PYPI", "CORP_PYPI_INTEGRATION", sfsandbox.IndexURL, secret),
		Object: "artifact repository PLATFORM.PACKAGES.CORP_PYPI",
		Show:   snowflake.ShowArtifactRepositories("PLATFORM", "PACKAGES", "CORP_PYPI"),
		Run:    Run,
	}
	return sb, race
}

func TestRepositoryCreatedMeanwhileByOtherRequest(t *testing.T) {
	sb, race := startRace(t)
	sb.CheckRaceByOtherRequest(t, race, sb.Document())
}

func TestRepositoryCreatedMeanwhileRerunByOwner(t *testing.T) {
	sb, race := startRace(t)

	out := sb.RerunRaceByOwner(t, race, sb.Document())

	// The owner's own repository gets its INDEX_URL again, which is an
	// update, because Snowflake does not show it.
	if out.Action != workflow.Updated {
		t.Errorf("rerun action = %q, want %q", out.Action, workflow.Updated)
	}
}

func TestRepositoryCreatedMeanwhileByHand(t *testing.T) {
	sb, race := startRace(t)
	sb.CheckRaceByHand(t, race, sb.Document())
}
