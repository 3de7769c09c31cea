package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadDefinitionsProvision(t *testing.T) {
	defs, err := LoadDefinitions("../statemachines", 24*time.Hour)
	if err != nil {
		t.Fatalf("LoadDefinitions: %v", err)
	}
	if len(defs) == 0 || defs[0].Key != "provision" {
		t.Fatalf("first definition is not provision: %+v", defs)
	}

	for _, task := range []string{"proxy_vm", "endpoint_service", "await_endpoint", "verification"} {
		if !slices.Contains(defs[0].Tasks, task) {
			t.Errorf("provision tasks %q lack %s", defs[0].Tasks, task)
		}
	}
	seen := map[string]bool{}
	for _, task := range defs[0].Tasks {
		if seen[task] {
			t.Errorf("provision tasks list %s twice", task)
		}
		seen[task] = true
	}
}

func TestLoadDefinitionsOptionalMachines(t *testing.T) {
	dir := t.TempDir()
	writeDefinition(t, dir, "provision.asl.json", taskDefinition("${proxy_vm}", ""))
	writeDefinition(t, dir, "teardown.asl.json", taskDefinition("${target_group}", ""))

	defs, err := LoadDefinitions(dir, time.Hour)
	if err != nil {
		t.Fatalf("LoadDefinitions: %v", err)
	}
	var keys []string
	for _, def := range defs {
		keys = append(keys, def.Key)
	}
	if diff := cmp.Diff([]string{"provision", "teardown"}, keys); diff != "" {
		t.Errorf("machine keys mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadDefinitionsRejects(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		problem    string
	}{
		{"unknown task", taskDefinition("${delete_everything}", ""), "${delete_everything} has no function spec"},
		{"no placeholder", taskDefinition("arn:aws:lambda:us-west-2:123456789012:function:x", ""), "uses no ${task} placeholder"},
		{"not JSON", "{", "decode definition"},
		{"no states", `{"StartAt": "A"}`, "no States object"},
		{"callback without timeout", callbackDefinition(""), "has no TimeoutSeconds"},
		{"callback shorter than deadline", callbackDefinition(`"TimeoutSeconds": 3600,`), "not later than the wait deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeDefinition(t, dir, "provision.asl.json", tt.definition)
			_, err := LoadDefinitions(dir, 2*time.Hour)
			if err == nil {
				t.Fatal("LoadDefinitions returned no error")
			}
			if !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error %q does not contain %q", err, tt.problem)
			}
		})
	}
}

func TestLoadDefinitionsMissingProvision(t *testing.T) {
	_, err := LoadDefinitions(t.TempDir(), time.Hour)
	if err == nil {
		t.Fatal("LoadDefinitions returned no error")
	}
	if !strings.Contains(err.Error(), "read state machine provision") {
		t.Errorf("error %q does not name the provision machine", err)
	}
}

func TestCallbackInsideParallelChecked(t *testing.T) {
	definition := `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
		{"StartAt": "W", "States": {"W": {"Type": "Task", "End": true, "TimeoutSeconds": 60,
			"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters": {"FunctionName": "${await_endpoint}"}}}}]}}}`
	dir := t.TempDir()
	writeDefinition(t, dir, "provision.asl.json", definition)

	_, err := LoadDefinitions(dir, time.Hour)
	if err == nil || !strings.Contains(err.Error(), "not later than the wait deadline") {
		t.Errorf("LoadDefinitions error = %v, want the nested callback timeout rejected", err)
	}
}

func taskDefinition(resource, extra string) string {
	return `{"StartAt": "A", "States": {"A": {"Type": "Task", ` + extra + `"Resource": "` + resource + `", "End": true}}}`
}

func callbackDefinition(timeout string) string {
	return `{"StartAt": "W", "States": {"W": {"Type": "Task", ` + timeout + `
		"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters": {"FunctionName": "${await_endpoint}"}, "End": true}}}`
}

func writeDefinition(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
