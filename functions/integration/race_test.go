package integration

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// otherRequest is the request that creates the integration between the
// step's lookup and its CREATE API INTEGRATION IF NOT EXISTS.
const otherRequest = "DATA-9000"

// startRace starts the sandbox with the request's secret and makes the
// step's CREATE API INTEGRATION first create the integration that the
// request expects, marked for requestID unless it is "". It returns the
// document and a function that reports whether that create ran.
func startRace(t *testing.T, requestID string) (*sfsandbox.Sandbox, workflow.Document, func() bool) {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "token-value"))
	doc := sb.Document()
	spec, err := sfobject.ExpectedIntegration(doc.Request)
	if err != nil {
		t.Fatal(err)
	}
	stmt := snowflake.CreateAPIIntegration("CORP_PYPI_INTEGRATION", spec.Prefixes, spec.Secrets, spec.PrivateLink)
	if requestID != "" {
		stmt = sfobject.WithOwner(stmt, requestID)
	}
	ran := sb.CreateBefore(t, "CREATE API INTEGRATION", stmt)
	return sb, doc, ran
}

func TestIntegrationCreatedMeanwhileByOtherRequest(t *testing.T) {
	sb, doc, ran := startRace(t, otherRequest)

	out, err := Run(t.Context(), sb.Env, doc)

	if !ran() {
		t.Fatal("the step ran no CREATE API INTEGRATION, so the other request never created the integration")
	}
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Fatalf("Run = %+v, %v (%s), want a Conflict", out, err, name)
	}
	for _, want := range []string{"API integration CORP_PYPI_INTEGRATION", "created for request " + otherRequest} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if out.Action == workflow.Created {
		t.Errorf("action = %q after a Conflict", out.Action)
	}
	rows := sb.Query(t, snowflake.ShowAPIIntegrations("CORP_PYPI_INTEGRATION"))
	if len(rows) != 1 || sfobject.Owner(rows[0]) != otherRequest {
		t.Errorf("SHOW API INTEGRATIONS = %v, want one row owned by %s", rows, otherRequest)
	}
}

func TestIntegrationCreatedMeanwhileRerunByOwner(t *testing.T) {
	sb, doc, _ := startRace(t, otherRequest)
	if _, err := Run(t.Context(), sb.Env, doc); workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run error = %v, want a Conflict", err)
	}
	doc.Request.ID = otherRequest

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("rerun by the owner: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("rerun action = %q, want %q", out.Action, workflow.Adopted)
	}
}

func TestIntegrationCreatedMeanwhileByHand(t *testing.T) {
	sb, doc, _ := startRace(t, "")

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Action, workflow.Adopted)
	}
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
