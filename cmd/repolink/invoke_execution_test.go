package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// invokeStep runs invoke for step on a document with the request of
// requestPath, resources and, unless empty, execution, and returns the
// step's output once the step is ready.
func invokeStep(t *testing.T, stateDir, step, requestPath, resources, execution string) map[string]any {
	t.Helper()
	requestJSON, err := os.ReadFile(requestPath)
	if err != nil {
		t.Fatal(err)
	}
	document := `{"request": ` + string(requestJSON) + `, "resources": ` + resources
	if execution != "" {
		document += `, "execution": "` + execution + `"`
	}
	input := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(input, []byte(document+"}"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The sandbox's instances start pending, so the step fails with
	// NotReady until they run, and invoke is called again as the state
	// machine would retry the step.
	var code int
	var out, errOut string
	for range 40 {
		code, out, errOut = runCLI(t, "invoke", step, "--sandbox", "--state-dir", stateDir, "--input", input)
		if code == exitOK || !strings.Contains(errOut, "NotReady") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if code != exitOK {
		t.Fatalf("invoke %s exit %d, want %d; stderr:\n%s", step, code, exitOK, errOut)
	}
	var output map[string]any
	if err := json.Unmarshal([]byte(out), &output); err != nil {
		t.Fatalf("invoke %s output is not JSON: %v\n%s", step, err, out)
	}
	return output
}

// TestInvokeWithoutExecutionCreatesThenAdopts checks that a step invoked
// on a document without an execution reports what it launched as created,
// also on the calls after a NotReady, and the same resource found by the
// next invoke as adopted.
func TestInvokeWithoutExecutionCreatesThenAdopts(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	requestPath := writeRequest(t, nil)

	first := invokeStep(t, stateDir, "proxy_vm", requestPath, `{}`, "")
	if first["action"] != "created" {
		t.Errorf("first proxy_vm action = %v, want created", first["action"])
	}
	second := invokeStep(t, stateDir, "proxy_vm", requestPath, `{}`, "")
	if second["action"] != "adopted" {
		t.Errorf("second proxy_vm action = %v, want adopted", second["action"])
	}
	if first["id"] != second["id"] {
		t.Errorf("second proxy_vm id = %v, want the first call's %v", second["id"], first["id"])
	}

	vm, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	resources := `{"proxy_vm": ` + string(vm) + `}`
	group := invokeStep(t, stateDir, "target_group", requestPath, resources, "")
	if group["action"] != "created" {
		t.Errorf("first target_group action = %v, want created", group["action"])
	}
	group = invokeStep(t, stateDir, "target_group", requestPath, resources, "")
	if group["action"] != "adopted" {
		t.Errorf("second target_group action = %v, want adopted", group["action"])
	}
}

// TestInvokeKeepsGivenExecution checks that invoke passes the execution of
// the document to the step, so that a step retried within one execution
// still reports the resource that the execution launched as created.
func TestInvokeKeepsGivenExecution(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	requestPath := writeRequest(t, nil)

	for i := range 2 {
		output := invokeStep(t, stateDir, "proxy_vm", requestPath, `{}`, "DATA-1")
		if output["action"] != "created" {
			t.Errorf("proxy_vm call %d in execution DATA-1: action = %v, want created", i+1, output["action"])
		}
	}
	output := invokeStep(t, stateDir, "proxy_vm", requestPath, `{}`, "DATA-2")
	if output["action"] != "adopted" {
		t.Errorf("proxy_vm in execution DATA-2: action = %v, want adopted", output["action"])
	}
}

// TestInvokeExecutionName checks the execution name that invoke gives a
// document without one.
func TestInvokeExecutionName(t *testing.T) {
	name := invokeExecutionName()
	if !strings.HasPrefix(name, "invoke-") {
		t.Errorf("name %q does not start with invoke-", name)
	}
	if len(name) > 80 {
		t.Errorf("name %q is longer than the 80 characters of an execution name", name)
	}
	if other := invokeExecutionName(); other == name {
		t.Errorf("two calls returned the same name %q", name)
	}
}
