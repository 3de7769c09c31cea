package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// TestTeardownRejectsSupersededRun checks that teardown of a provision
// execution that a later run of its request followed is rejected before
// it deletes anything, names the latest run and its teardown command, and
// that the latest run can then be torn down.
func TestTeardownRejectsSupersededRun(t *testing.T) {
	dir := t.TempDir()
	older := writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["grant_to_roles"] = []string{"NOPE"}
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, older); code != exitFailed {
		t.Fatalf("run of the older request: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil)); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitInvalid {
		t.Fatalf("teardown of DATA-4711: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, "not the latest run of request DATA-4711: DATA-4711-r2 started after it") {
		t.Errorf("teardown of DATA-4711 does not name the latest run:\n%s", errOut)
	}
	if want := "'repolink teardown --sandbox --state-dir " + dir + " DATA-4711-r2'"; !strings.Contains(errOut, want) {
		t.Errorf("teardown of DATA-4711 does not suggest %s:\n%s", want, errOut)
	}

	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	teardowns, err := eng.ListMachine(context.Background(), teardownMachine, time.Time{})
	eng.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(teardowns) != 0 {
		t.Errorf("rejected teardown started %d teardown executions, want none", len(teardowns))
	}

	code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711-r2")
	if code != exitOK {
		t.Fatalf("teardown of DATA-4711-r2: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "6 deleted") {
		t.Errorf("teardown of DATA-4711-r2 did not delete the network resources:\n%s", out)
	}
}

// TestTeardownRedriveRejectsAfterLaterRun checks that a stopped teardown
// is not redriven once a provision execution of its request started after
// it, because the redrive would delete what that run built, neither by
// redrive nor by the API's RedriveExecution.
func TestTeardownRedriveRejectsAfterLaterRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := writeRequest(t, nil)
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Start the teardown in the store and stop it, as an operator stops a
	// teardown before it deletes anything.
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	x, err := eng.Describe(ctx, "DATA-4711")
	if err == nil {
		_, err = eng.Start(ctx, teardownMachine, "DATA-4711-teardown", teardownInput(t, x))
	}
	if err == nil {
		_, err = eng.Stop(ctx, "DATA-4711-teardown", "", "")
	}
	eng.Close()
	if err != nil {
		t.Fatalf("start and stop the teardown: %v", err)
	}

	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != exitOK {
		t.Fatalf("second run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "redrive", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711-teardown")
	if code != exitInvalid {
		t.Fatalf("redrive of the teardown: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, "DATA-4711-r2 of request DATA-4711 started after teardown DATA-4711-teardown") {
		t.Errorf("redrive of the teardown does not name the later run:\n%s", errOut)
	}
	if want := "'repolink teardown --sandbox --state-dir " + dir + " DATA-4711-r2'"; !strings.Contains(errOut, want) {
		t.Errorf("redrive of the teardown does not suggest %s:\n%s", want, errOut)
	}

	eng, _, err = openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	teardown, err := eng.Describe(ctx, "DATA-4711-teardown")
	if err != nil {
		t.Fatal(err)
	}
	if teardown.Status != engine.StatusAborted || teardown.RedriveCount != 0 {
		t.Errorf("teardown is %s after %d redrives, want ABORTED after none", teardown.Status, teardown.RedriveCount)
	}

	check := teardownRedriveCheck(eng, "", "")
	reason, err := check(ctx, teardown)
	if err != nil {
		t.Fatalf("API redrive check: %v", err)
	}
	if !strings.Contains(reason, "started after teardown DATA-4711-teardown") {
		t.Errorf("API redrive check reason %q does not name the later run", reason)
	}
}

// teardownInput returns the input of a teardown of the provision
// execution x, as the teardown command builds it.
func teardownInput(t *testing.T, x engine.Execution) []byte {
	t.Helper()
	req, ok := provisionRequest(x)
	if !ok {
		t.Fatalf("execution %s has no request", x.Name)
	}
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	return input
}
