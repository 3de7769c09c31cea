package notify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// limitFailure returns a provision run that failed in preflight because the
// account's five private endpoints are all deprovisioned, and its input.
func limitFailure(t *testing.T) (engine.Execution, workflow.Document) {
	t.Helper()
	infos := make([]provisionendpoint.EndpointInfo, provisionendpoint.MaxEndpoints)
	for i := range infos {
		infos[i] = provisionendpoint.EndpointInfo{ProviderServiceName: "svc", EndpointState: "PENDING_DELETION"}
	}
	err := provisionendpoint.CheckCapacity("acme-prod", infos, nil)
	if err == nil {
		t.Fatal("CheckCapacity of a full account returned no error")
	}
	x := closed("DATA-10", engine.StatusFailed, "http://127.0.0.1:1/hook", 0)
	x.Error, x.Cause = workflow.ErrConflict, "preflight: "+err.Error()
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatal(err)
	}
	return x, doc
}

func TestNotifySandboxLimitAdvisesReset(t *testing.T) {
	x, doc := limitFailure(t)
	got := Build(x, doc, nil, " --sandbox --state-dir /srv/repolink", "")

	reset := "run 'repolink sandbox reset --state-dir /srv/repolink'"
	if !strings.HasPrefix(got.Next, reset) {
		t.Errorf("next does not start with %s:\n%s", reset, got.Next)
	}
	rerun := "then run 'repolink run --sandbox --state-dir /srv/repolink REQUEST'"
	if !strings.Contains(got.Next, rerun) {
		t.Errorf("next lacks %s:\n%s", rerun, got.Next)
	}
	redrive := "'repolink redrive --sandbox --state-dir /srv/repolink DATA-10'"
	if !strings.Contains(got.Next, redrive) {
		t.Errorf("next lacks the advice outside a reset, %s:\n%s", redrive, got.Next)
	}
}

func TestNotifyCloudLimitOmitsReset(t *testing.T) {
	x, doc := limitFailure(t)
	got := Build(x, doc, nil, " --state-dir /srv/repolink", "")
	if strings.Contains(got.Next, "sandbox reset") {
		t.Errorf("next outside the sandbox advises a sandbox reset:\n%s", got.Next)
	}
}

func TestNotifyOtherConflictOmitsReset(t *testing.T) {
	x, doc := limitFailure(t)
	x.Cause = "endpoint: host pypi.corp.example.com already has the private endpoint x"
	got := Build(x, doc, nil, " --sandbox", "")
	if strings.Contains(got.Next, "sandbox reset") {
		t.Errorf("next of another conflict advises a sandbox reset:\n%s", got.Next)
	}
}
