package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TestStatusOfLeftTeardownNamesTeardown checks the next: advice for a
// teardown that no process runs, as after a kill -9 of 'repolink
// teardown'. Running that command again resumes the teardown, so the
// advice names it besides repolink up, and the command works as printed.
func TestStatusOfLeftTeardownNamesTeardown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) { doc["id"] = "TR-1" })
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	startLeftTeardown(t, dir, "TR-1")

	teardownName := request.RunName(request.TeardownBase("TR-1"), 1)
	code, out, errOut := runCLI(t, "status", "--state-dir", dir, teardownName)
	if code != exitOK {
		t.Fatalf("status: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	teardown := "'repolink teardown --sandbox --state-dir " + dir + " TR-1'"
	for _, want := range []string{teardown, "'repolink up --sandbox --state-dir " + dir + "'"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %s:\n%s", want, out)
		}
	}

	code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TR-1")
	if code != exitOK {
		t.Fatalf("suggested teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "resuming teardown "+teardownName) {
		t.Errorf("teardown did not resume %s:\n%s", teardownName, errOut)
	}
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.Describe(ctx, teardownName)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != engine.StatusSucceeded {
		t.Errorf("teardown %s is %s, want %s", teardownName, x.Status, engine.StatusSucceeded)
	}
}

// startLeftTeardown starts the first teardown of the provision execution
// provisioned in the state directory dir without running it.
func startLeftTeardown(t *testing.T, dir, provisioned string) {
	t.Helper()
	ctx := context.Background()
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.Describe(ctx, provisioned)
	if err != nil {
		t.Fatal(err)
	}
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(workflow.Document{Request: doc.Request, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	name := request.RunName(request.TeardownBase(provisioned), 1)
	if _, err := eng.Start(ctx, teardownMachine, name, input); err != nil {
		t.Fatal(err)
	}
}
