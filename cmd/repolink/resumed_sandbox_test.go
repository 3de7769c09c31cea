package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

// TestRunPreparesResumedExecution leaves an execution of one request open
// in a sandbox directory and runs another request there. The engine of
// the run resumes the open execution too, so the sandbox must serve that
// execution's repository host and hold its Snowflake objects and secrets.
func TestRunPreparesResumedExecution(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	left := exampleRequest(t, "LEFT-1")
	left.Repository.Name = "left_pypi"
	left.Repository.IndexURL = "https://pypi.left.example.com/simple/"
	left.Repository.Auth.TokenRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/left-index-token"
	if _, err := startExecution(ctx, eng, left); err != nil {
		t.Fatal(err)
	}

	data, err := json.Marshal(exampleRequest(t, "OWN-1"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "own.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// A run stops once its own execution closes, which may come before the
	// resumed one closes, so the next run resumes it again.
	var x engine.Execution
	for range 5 {
		code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file)
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if x, err = eng.Describe(ctx, "LEFT-1"); err != nil {
			t.Fatal(err)
		}
		if x.Status != engine.StatusRunning {
			break
		}
	}
	if x.Status != engine.StatusSucceeded {
		t.Errorf("resumed execution LEFT-1 is %s, want %s: %s %s", x.Status, engine.StatusSucceeded, x.Error, x.Cause)
	}
}
