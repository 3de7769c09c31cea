package main

import (
	"encoding/json"
	"os"
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

	want := map[string]any{"Type": "Fail", "Error": "InvalidRequest", "Cause": routeNotServedCause}
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
