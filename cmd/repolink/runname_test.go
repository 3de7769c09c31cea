package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// TestRunNamesSkipOtherRequests checks that a request whose ID looks like
// another request's rerun name, such as B-r2, neither blocks nor confuses
// the reruns of request B.
func TestRunNamesSkipOtherRequests(t *testing.T) {
	ctx := context.Background()
	eng := provisionStore(t, t.TempDir())
	b := exampleRequest(t, "B")
	other := b
	other.ID = "B-r2"
	other.Repository.Name = "other_pypi"

	// B ran once and closed; request B-r2 is running under the name B-r2.
	if name, err := startExecution(ctx, eng, b); err != nil || name != "B" {
		t.Fatalf("first run of B: name %q, error %v", name, err)
	}
	if _, err := eng.Stop(ctx, "B", "", ""); err != nil {
		t.Fatal(err)
	}
	if name, err := startExecution(ctx, eng, other); err != nil || name != "B-r2" {
		t.Fatalf("first run of B-r2: name %q, error %v", name, err)
	}

	if from := changedFrom(ctx, eng, b); len(from) != 0 {
		t.Errorf("changedFrom for B = %+v, want none: B-r2 is another request", from)
	}
	name, err := startExecution(ctx, eng, b)
	if err != nil {
		t.Fatalf("second run of B: %v", err)
	}
	if name != "B-r3" {
		t.Errorf("second run of B is named %q, want B-r3", name)
	}
	var doc workflow.Document
	x, err := eng.Describe(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Request.ID != "B" {
		t.Errorf("execution %s runs request %q, want B", name, doc.Request.ID)
	}
}

// TestTeardownNameSkipsOtherRequest checks that a request whose ID is
// another execution's teardown name does not take that teardown's place.
func TestTeardownNameSkipsOtherRequest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	a := exampleRequest(t, "A-teardown")
	if _, err := startExecution(ctx, eng, a); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "A-teardown", "", ""); err != nil {
		t.Fatal(err)
	}
	if name, err := startExecution(ctx, eng, exampleRequest(t, "A")); err != nil || name != "A" {
		t.Fatalf("start the run of A: %q, %v, want A", name, err)
	}
	if _, err := eng.Stop(ctx, "A", "", ""); err != nil {
		t.Fatal(err)
	}

	input, err := json.Marshal(workflow.Document{Request: request.Request{ID: "A"}, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	// No Run loop runs the teardown, so following it ends at the timeout.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, _ = startAndFollow(short, eng, dir, "A", "A", input, followSetup{mode: "test"}, false, newProgress(io.Discard), io.Discard)
	x, err := eng.Describe(ctx, "A-teardown-r2")
	if err != nil {
		t.Fatalf("teardown of A: %v", err)
	}
	if x.Machine != teardownMachine {
		t.Errorf("A-teardown-r2 is a %s execution, want %s", x.Machine, teardownMachine)
	}
}

// provisionStore opens an engine store in dir with the provision and
// teardown machines, and no Run loop.
func provisionStore(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	for name, def := range map[string][]byte{provisionMachine: statemachines.Provision, teardownMachine: statemachines.Teardown} {
		if err := eng.Define(name, def); err != nil {
			t.Fatal(err)
		}
	}
	return eng
}

// exampleRequest reads examples/public.json and gives it the ID id.
func exampleRequest(t *testing.T, id string) request.Request {
	t.Helper()
	req, err := readRequest(filepath.Join("..", "..", "examples", "public.json"))
	if err != nil {
		t.Fatal(err)
	}
	req.ID = id
	return req
}

// TestLatestRunAnyName checks that latestRun finds a request's executions
// by the request ID in their input, whatever their names.
func TestLatestRunAnyName(t *testing.T) {
	ctx := context.Background()
	eng := provisionStore(t, t.TempDir())
	req := exampleRequest(t, "L")
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	other := exampleRequest(t, "M")
	otherInput, err := json.Marshal(workflow.Document{Request: other, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	latestName := func() (string, string) {
		t.Helper()
		latest, free, err := latestRun(ctx, eng, "L")
		if err != nil {
			t.Fatal(err)
		}
		if latest == nil {
			return "", free
		}
		return latest.Name, free
	}

	if name, free := latestName(); name != "" || free != "L" {
		t.Errorf("empty store: latest %q, free %q; want none and L", name, free)
	}

	// The named run L closed, then the API started api-2 for L and api-3
	// for another request.
	if _, err := startExecution(ctx, eng, req); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "L", "", ""); err != nil {
		t.Fatal(err)
	}
	if name, free := latestName(); name != "L" || free != "L-r2" {
		t.Errorf("after L closed: latest %q, free %q; want L and L-r2", name, free)
	}
	if _, err := eng.Start(ctx, provisionMachine, "api-2", input); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, provisionMachine, "api-3", otherInput); err != nil {
		t.Fatal(err)
	}
	if name, free := latestName(); name != "api-2" || free != "L-r2" {
		t.Errorf("while api-2 runs: latest %q, free %q; want api-2 and L-r2", name, free)
	}

	// A closed execution under another name that started after the named
	// runs is the latest.
	if _, err := eng.Stop(ctx, "api-2", "", ""); err != nil {
		t.Fatal(err)
	}
	if name, _ := latestName(); name != "api-2" {
		t.Errorf("after api-2 closed: latest %q, want api-2", name)
	}

	// A running named run comes before the later closed api-2.
	if _, err := eng.Redrive(ctx, "L"); err != nil {
		t.Fatal(err)
	}
	if name, _ := latestName(); name != "L" {
		t.Errorf("while L runs again: latest %q, want L", name)
	}
}
