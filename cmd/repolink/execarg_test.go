package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// writeRequestFile writes req as JSON to a new file named name.
func writeRequestFile(t *testing.T, req request.Request, name string) string {
	t.Helper()
	data, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRedriveTeardownTakeRequestFile checks that redrive and teardown take
// a request file in place of an execution name and act on the latest
// execution of its request ID.
func TestRedriveTeardownTakeRequestFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	req := exampleRequest(t, "F-1")
	if _, err := startExecution(ctx, eng, req); err != nil {
		t.Fatal(err)
	}
	file := writeRequestFile(t, req, "cola.json")

	// Both commands reject a running execution, which shows that they
	// found F-1 through the file.
	for _, command := range []string{"redrive", "teardown"} {
		code, out, errOut := runCLI(t, command, "--sandbox", "--state-dir", dir, file)
		if code != exitInvalid {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", command, code, exitInvalid, out, errOut)
		}
		if strings.Contains(errOut, "no execution named") {
			t.Errorf("%s: file taken as an execution name:\n%s", command, errOut)
		}
		if !strings.Contains(errOut, "has request ID F-1, whose latest execution is F-1\n") {
			t.Errorf("%s: stderr does not name the execution of the file:\n%s", command, errOut)
		}
		if !strings.Contains(errOut, "execution F-1 is open") {
			t.Errorf("%s: stderr does not reject the running execution F-1:\n%s", command, errOut)
		}
	}
}

func TestExecutionOfLatestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	first := exampleRequest(t, "F-2")
	if _, err := startExecution(ctx, eng, first); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "F-2", "", ""); err != nil {
		t.Fatal(err)
	}
	changed := first
	changed.Repository.Packages = []string{"corp-utils==2.3.1"}
	if _, err := startExecution(ctx, eng, changed); err != nil {
		t.Fatal(err)
	}

	var stderr bytes.Buffer
	name, err := executionOf(ctx, dir, writeRequestFile(t, changed, "changed.yaml"), "", &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if name != "F-2-r2" {
		t.Errorf("changed file names %q, want the latest execution F-2-r2", name)
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("warning for a file equal to the execution's request:\n%s", stderr.String())
	}

	stderr.Reset()
	name, err = executionOf(ctx, dir, writeRequestFile(t, first, "first.json"), " --state-dir "+dir, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if name != "F-2-r2" {
		t.Errorf("first file names %q, want the latest execution F-2-r2", name)
	}
	if !strings.Contains(stderr.String(), "warning: the request in") || !strings.Contains(stderr.String(), "'repolink run --state-dir "+dir) {
		t.Errorf("no warning that the file differs from the execution's request:\n%s", stderr.String())
	}
}

func TestExecutionOfNameOrMissingRun(t *testing.T) {
	ctx := context.Background()
	var stderr bytes.Buffer

	// A name that is not an existing file stays an execution name.
	for _, arg := range []string{"DATA-4711", "missing.json", t.TempDir() + ".json"} {
		name, err := executionOf(ctx, t.TempDir(), arg, "", &stderr)
		if err != nil || name != arg {
			t.Errorf("executionOf(%q) = %q, %v; want the argument itself", arg, name, err)
		}
	}

	file := writeRequestFile(t, exampleRequest(t, "F-3"), "f3.json")
	_, err := executionOf(ctx, t.TempDir(), file, "", &stderr)
	var usage *usageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "no execution of request F-3") {
		t.Errorf("empty state directory: error %v, want a usage error naming request F-3", err)
	}

	dir := t.TempDir()
	provisionStore(t, dir)
	_, err = executionOf(ctx, dir, file, "", &stderr)
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "start one with 'repolink run "+file+"'") {
		t.Errorf("store without the request: error %v, want a usage error that says to run the file", err)
	}

	spaced := writeRequestFile(t, exampleRequest(t, "F-4"), "my req.json")
	_, err = executionOf(ctx, dir, spaced, "", &stderr)
	if want := "start one with 'repolink run \"" + spaced + "\"'"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("file name with a space: error %v, want it to contain %s", err, want)
	}
}

func TestRedriveTeardownRejectDirectoryFile(t *testing.T) {
	dir := t.TempDir()
	notFile := filepath.Join(t.TempDir(), "req.json")
	if err := os.Mkdir(notFile, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, command := range []string{"redrive", "teardown"} {
		code, out, errOut := runCLI(t, command, "--sandbox", "--state-dir", dir, notFile)
		if code != exitInvalid {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", command, code, exitInvalid, out, errOut)
		}
		if strings.Contains(errOut, "no execution named") {
			t.Errorf("%s: directory taken as an execution name:\n%s", command, errOut)
		}
		if !strings.Contains(errOut, "not a regular file") {
			t.Errorf("%s: stderr does not say the path is not a regular file:\n%s", command, errOut)
		}
	}
}

// TestEmptyExecutionName checks that each command that takes an execution
// name rejects an empty one with what to pass, instead of looking it up.
func TestEmptyExecutionName(t *testing.T) {
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	if _, err := startExecution(context.Background(), eng, exampleRequest(t, "E-1")); err != nil {
		t.Fatal(err)
	}
	for _, command := range []string{"status", "history", "stop", "redrive", "teardown"} {
		for _, name := range []string{"", " "} {
			t.Run(command+"/"+strings.ReplaceAll(name, " ", "space"), func(t *testing.T) {
				code, _, errOut := runCLI(t, command, "--state-dir", dir, name)
				if code != exitInvalid {
					t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
				}
				if strings.Contains(errOut, "no execution named") {
					t.Errorf("stderr looks the empty name up: %s", errOut)
				}
				if !strings.Contains(errOut, command+": the execution name is empty") {
					t.Errorf("stderr does not say that the name is empty: %s", errOut)
				}
				if !strings.Contains(errOut, "'repolink list'") {
					t.Errorf("stderr does not say where to find the names: %s", errOut)
				}
			})
		}
	}
}
