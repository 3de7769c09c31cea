package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/webhook"
)

// TestRunChangedRequestLeftOpen runs a changed request while an execution
// of its ID is open but no process runs it, as after a kill -9 of 'run'.
// The error must name the commands that resume the open execution and
// the one that stops it.
func TestRunChangedRequestLeftOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	if _, err := startExecution(ctx, eng, exampleRequest(t, "KILLED-1")); err != nil {
		t.Fatal(err)
	}

	changed := exampleRequest(t, "KILLED-1")
	changed.Repository.Packages = []string{"corp-utils==2.3.1"}
	data, err := json.Marshal(changed)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	for _, want := range []string{
		"execution KILLED-1 of request KILLED-1 is still open with a different request",
		"nothing runs it now",
		"'repolink run --sandbox --state-dir " + dir + " FILE' with the request file that started it",
		"'repolink up --sandbox --state-dir " + dir + "'",
		"'repolink stop --state-dir " + dir + " KILLED-1'",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "wait for it to finish or stop it first") {
		t.Errorf("stderr still gives the advice that cannot be followed:\n%s", errOut)
	}
}

// TestServedOpenAdviceNamesCommands checks the advice for a changed request
// while the repolink up that serves the directory runs the open execution.
func TestServedOpenAdviceNamesCommands(t *testing.T) {
	p := newProgress(&strings.Builder{})
	p.setFlags(true, "state")
	got := servedOpenAdvice(&webhook.RunningError{Ticket: "T-1", Execution: "T-1-r2"}, p)
	for _, want := range []string{
		"execution T-1-r2 of request T-1 is still running with a different request in the repolink up",
		"'repolink status --state-dir state T-1-r2'",
		"'repolink stop --state-dir state T-1-r2'",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("advice lacks %q:\n%s", want, got)
		}
	}
}
