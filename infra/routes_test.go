package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTeardownRejectsForeignRoutesFirst checks that the deployed teardown
// machine fails an Azure or GCP request at its start state, before
// TeardownSnowflake drops anything, and keeps the other routes and states.
func TestTeardownRejectsForeignRoutesFirst(t *testing.T) {
	defs, err := LoadDefinitions("../statemachines", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var deployed map[string]any
	for _, def := range defs {
		if def.Key == "teardown" {
			if err := json.Unmarshal([]byte(def.ASL), &deployed); err != nil {
				t.Fatalf("deployed teardown definition is not JSON: %v", err)
			}
		}
	}
	if deployed == nil {
		t.Fatal("no teardown definition loaded")
	}
	data, err := os.ReadFile("../statemachines/teardown.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk map[string]any
	if err := json.Unmarshal(data, &onDisk); err != nil {
		t.Fatal(err)
	}

	states := deployed["States"].(map[string]any)
	start := states[deployed["StartAt"].(string)].(map[string]any)
	served := 0
	for _, item := range start["Choices"].([]any) {
		rule := item.(map[string]any)
		route := rule["StringEquals"].(string)
		next := rule["Next"]
		switch {
		case route == "azure-privatelink" || route == "gcp-privatelink":
			if next != routeNotServedState {
				t.Errorf("route %s goes to %v, want %s", route, next, routeNotServedState)
			}
		case next != "TeardownSnowflake":
			t.Errorf("route %s goes to %v, want TeardownSnowflake", route, next)
		default:
			served++
		}
	}
	if served != 3 {
		t.Errorf("start state lets %d routes through, want aws-privatelink, egress-ip and public", served)
	}

	want := map[string]any{"Type": "Fail", "Error": "InvalidRequest", "CausePath": routeNotServedCausePath}
	if diff := cmp.Diff(want, states[routeNotServedState]); diff != "" {
		t.Errorf("%s state mismatch (-want +got):\n%s", routeNotServedState, diff)
	}

	// Apart from the start state's rules and the added state, the
	// definition is the one on disk.
	delete(states, routeNotServedState)
	delete(states, deployed["StartAt"].(string))
	delete(onDisk["States"].(map[string]any), onDisk["StartAt"].(string))
	if diff := cmp.Diff(onDisk, deployed); diff != "" {
		t.Errorf("deployed teardown differs from the file beyond its start state (-file +deployed):\n%s", diff)
	}
}

// deployedTeardown returns the teardown definition that the stack deploys.
func deployedTeardown(t *testing.T) string {
	t.Helper()
	defs, err := LoadDefinitions("../statemachines", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range defs {
		if def.Key == "teardown" {
			return def.ASL
		}
	}
	t.Fatal("no teardown definition loaded")
	return ""
}

// TestRouteNotServedCauseNamesRoute checks that the cause of the added
// Fail state is a States.Format call that puts $.request.route into its
// only placeholder.
func TestRouteNotServedCauseNamesRoute(t *testing.T) {
	var deployed struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(deployedTeardown(t)), &deployed); err != nil {
		t.Fatal(err)
	}
	fail := deployed.States[routeNotServedState]
	if _, ok := fail["Cause"]; ok {
		t.Errorf("%s has a fixed Cause, which cannot name the route", routeNotServedState)
	}
	causePath, _ := fail["CausePath"].(string)
	template, args, ok := strings.Cut(strings.TrimPrefix(causePath, "States.Format('"), "', ")
	if !strings.HasPrefix(causePath, "States.Format('") || !ok {
		t.Fatalf("CausePath %q is not a States.Format call", causePath)
	}
	if args != "$.request.route)" {
		t.Errorf("CausePath arguments = %q, want $.request.route only", args)
	}
	if n := strings.Count(template, "{}"); n != 1 {
		t.Errorf("CausePath template has %d placeholders, want 1: %q", n, template)
	}
	if strings.ContainsAny(strings.ReplaceAll(template, "{}", ""), `'{}\`) {
		t.Errorf("CausePath template has an unescaped ', {, } or \\: %q", template)
	}
}

// TestDeployedTeardownPassesASLValidator checks the deployed teardown
// definition with asl-validator, as make asl-validate checks the files in
// statemachines/. It skips when node or the package is not installed.
func TestDeployedTeardownPassesASLValidator(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found; asl-validator needs it")
	}
	modules, err := filepath.Abs("../.tools/node/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "asl-validator")); err != nil {
		t.Skip("asl-validator is not installed; make asl-validate installs it")
	}

	file := filepath.Join(t.TempDir(), "teardown.asl.json")
	if err := os.WriteFile(file, []byte(deployedTeardown(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "../tools/asl-validate.cjs", modules, file).CombinedOutput()
	if err != nil {
		t.Errorf("asl-validator rejects the deployed teardown definition: %v\n%s", err, out)
	}
}

func TestOtherMachinesDeployedUnchanged(t *testing.T) {
	defs, err := LoadDefinitions("../statemachines", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range defs {
		if def.Key == "teardown" {
			continue
		}
		for _, mf := range machineFiles {
			if mf.Key != def.Key {
				continue
			}
			data, err := os.ReadFile("../statemachines/" + mf.File)
			if err != nil {
				t.Fatal(err)
			}
			if def.ASL != string(data) {
				t.Errorf("deployed %s definition differs from statemachines/%s", def.Key, mf.File)
			}
		}
	}
}
