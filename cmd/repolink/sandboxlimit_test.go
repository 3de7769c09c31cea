package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
)

// limitExecution returns a run that failed in preflight because the
// account's five private endpoints are all deprovisioned.
func limitExecution(t *testing.T) engine.Execution {
	t.Helper()
	infos := make([]provisionendpoint.EndpointInfo, provisionendpoint.MaxEndpoints)
	for i := range infos {
		infos[i] = provisionendpoint.EndpointInfo{ProviderServiceName: "svc", EndpointState: "PENDING_DELETION"}
	}
	err := provisionendpoint.CheckCapacity("acme-prod", infos, nil)
	if err == nil {
		t.Fatal("CheckCapacity of a full account returned no error")
	}
	return engine.Execution{Name: "DATA-1-r6", Machine: provisionMachine, Status: engine.StatusFailed, Error: "Conflict",
		Cause: "preflight: " + err.Error(), Input: json.RawMessage(withRequest)}
}

func TestStatusAdvisesSandboxReset(t *testing.T) {
	x := limitExecution(t)
	var out strings.Builder
	printStatus(&out, x, newView(x), " --sandbox --state-dir /tmp/s")

	errorLine, nextLine := "", ""
	for line := range strings.Lines(out.String()) {
		if after, ok := strings.CutPrefix(line, "error:"); ok {
			errorLine = after
		}
		if after, ok := strings.CutPrefix(line, "next:"); ok {
			nextLine = after
		}
	}
	const reset = "'repolink sandbox reset --state-dir /tmp/s'"
	if !strings.Contains(errorLine, reset) {
		t.Errorf("error line lacks %s:\n%s", reset, errorLine)
	}
	if !strings.Contains(nextLine, "run "+reset) {
		t.Errorf("next line lacks run %s:\n%s", reset, nextLine)
	}
	if !strings.Contains(nextLine, "then run 'repolink run --sandbox --state-dir /tmp/s REQUEST'") {
		t.Errorf("next line lacks the new run:\n%s", nextLine)
	}
}

func TestCloudStatusOmitsSandboxReset(t *testing.T) {
	x := limitExecution(t)
	var out strings.Builder
	printStatus(&out, x, newView(x), " --state-dir /tmp/s")
	if strings.Contains(out.String(), "sandbox reset") {
		t.Errorf("status outside the sandbox advises a sandbox reset:\n%s", out.String())
	}
}

func TestOtherConflictOmitsSandboxReset(t *testing.T) {
	x := engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, Error: "Conflict",
		Cause: "endpoint: host pypi.corp.example.com already has the private endpoint x", Input: json.RawMessage(withRequest)}
	var out strings.Builder
	printStatus(&out, x, newView(x), " --sandbox")
	if strings.Contains(out.String(), "sandbox reset") {
		t.Errorf("status of another conflict advises a sandbox reset:\n%s", out.String())
	}
}
