package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

// TestTeardownSummaryKept prints the summary of a teardown whose PSC subnet
// step kept the subnet for another request. The kept step must count among
// the resources left and be listed with its reason.
func TestTeardownSummaryKept(t *testing.T) {
	output := json.RawMessage(`{"resources": {
		"teardown_gcp_vm": {"action": "deleted", "id": "vm-1"},
		"teardown_psc_subnet": {"action": "kept", "id": "snet-psc-nat", "reason": "service attachment rl-data-5000-sa uses it"}
	}}`)
	var out bytes.Buffer
	p := &progress{out: &out}
	if !p.summary(engine.Execution{Name: "DATA-4911-teardown", Machine: teardownMachine, Status: "SUCCEEDED", Output: output}) {
		t.Fatal("summary of a succeeded teardown returned false")
	}

	got := out.String()
	if !strings.Contains(got, "1 deleted, 1 already gone or kept") {
		t.Errorf("summary %q does not count the kept subnet", got)
	}
	if !strings.Contains(got, "kept:             teardown_psc_subnet snet-psc-nat: service attachment rl-data-5000-sa uses it") {
		t.Errorf("summary %q does not list the kept subnet with its reason", got)
	}
}

// TestTeardownSummaryKeptList prints the summary of a teardown whose
// Snowflake step dropped one repository and listed two objects it kept. The
// listed objects must count among the resources left.
func TestTeardownSummaryKeptList(t *testing.T) {
	output := json.RawMessage(`{"resources": {
		"teardown_snowflake": {"action": "deleted", "id": "PLATFORM.OTHER.PUBLIC_PYPI", "kept": [
			{"type": "ARTIFACT REPOSITORY", "name": "PLATFORM.PACKAGES.PUBLIC_PYPI", "reason": "it is outside the request's schema"},
			{"type": "SECRET", "name": "PLATFORM.PACKAGES.PUBLIC_PYPI_SECRET", "reason": "it is outside the request's schema"}
		]}
	}}`)
	var out bytes.Buffer
	p := &progress{out: &out}
	if !p.summary(engine.Execution{Name: "DATA-5000-r2-teardown", Machine: teardownMachine, Status: "SUCCEEDED", Output: output}) {
		t.Fatal("summary of a succeeded teardown returned false")
	}

	got := out.String()
	if !strings.Contains(got, "1 deleted, 2 already gone or kept") {
		t.Errorf("summary %q does not count the two kept objects", got)
	}
	if n := strings.Count(got, "kept:             "); n != 2 {
		t.Errorf("summary %q has %d kept lines, want 2", got, n)
	}
}
