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

	// A name that does not look like a file stays an execution name.
	if name, err := executionOf(ctx, t.TempDir(), "DATA-4711", "", &stderr); err != nil || name != "DATA-4711" {
		t.Errorf("executionOf(DATA-4711) = %q, %v; want the argument itself", name, err)
	}
	// A file name that no file and no execution has is a mistyped file.
	for _, arg := range []string{"missing.json", t.TempDir() + ".json"} {
		_, err := executionOf(ctx, t.TempDir(), arg, "", &stderr)
		if err == nil || !strings.Contains(err.Error(), "file "+arg+" does not exist") {
			t.Errorf("executionOf(%q) error = %v; want that the file does not exist", arg, err)
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

// TestFileArgMistakes checks that redrive and teardown name the file as
// the mistake when their argument looks like a request file that is
// missing or that they do not read, and still take an execution whose
// name looks like a file.
func TestFileArgMistakes(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil)); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	text := filepath.Join(t.TempDir(), "request.txt")
	if err := os.WriteFile(text, []byte(`{"id":"DATA-4711"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.json")

	tests := []struct {
		name string
		arg  string
		want string
	}{
		{"missing json", "missing.json", "file missing.json does not exist, and no execution has that name"},
		{"missing path", missing, "file " + missing + " does not exist"},
		{"missing yaml", "missing.YML", "file missing.YML does not exist"},
		{"txt file", text, text + " is not read as a request file, because only names ending in .json, .yaml, .yml are"},
	}
	for _, command := range []string{"redrive", "teardown"} {
		for _, tt := range tests {
			t.Run(command+" "+tt.name, func(t *testing.T) {
				code, out, errOut := runCLI(t, command, "--sandbox", "--state-dir", dir, tt.arg)
				if code != exitInvalid {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
				}
				if !strings.Contains(errOut, tt.want) {
					t.Errorf("stderr lacks %q:\n%s", tt.want, errOut)
				}
				if strings.Contains(errOut, "no execution named") {
					t.Errorf("stderr names a missing execution in place of the file:\n%s", errOut)
				}
			})
		}
	}

	// A name without a file or a directory part stays an execution name.
	code, _, errOut := runCLI(t, "teardown", "--sandbox", "--state-dir", dir, "NO-SUCH-RUN")
	if code != exitInvalid || !strings.Contains(errOut, "no execution named NO-SUCH-RUN") {
		t.Errorf("teardown NO-SUCH-RUN: exit %d, stderr:\n%s", code, errOut)
	}

	// An execution named like a missing request file, as the Step
	// Functions API allows, is still found by its name.
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(map[string]any{"request": exampleRequest(t, "DATA-9"), "resources": map[string]any{}})
	if err == nil {
		_, err = eng.Start(context.Background(), provisionMachine, "DATA-9.json", input)
	}
	eng.Close()
	if err != nil {
		t.Fatalf("start DATA-9.json: %v", err)
	}
	code, _, errOut = runCLI(t, "teardown", "--sandbox", "--state-dir", dir, "DATA-9.json")
	if code != exitInvalid || !strings.Contains(errOut, "execution DATA-9.json is") {
		t.Errorf("teardown DATA-9.json: exit %d, want %d for the running execution, stderr:\n%s", code, exitInvalid, errOut)
	}
}
