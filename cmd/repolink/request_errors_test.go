package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWithRequestFile writes content to a request file in a new directory
// and runs command on it with a state directory beside it. It returns the
// file's path, the exit code, stdout and stderr.
func runWithRequestFile(t *testing.T, command []string, content string) (path string, code int, out, errOut string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "request.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, command...), "--state-dir", filepath.Join(dir, "state"), path)

	code, out, errOut = runCLI(t, args...)
	return path, code, out, errOut
}

func TestRequestFileNotObject(t *testing.T) {
	commands := [][]string{
		{"plan"},
		{"plan", "--output", "json"},
		{"run", "--sandbox"},
		{"preflight"},
		{"teardown", "--sandbox"},
	}
	for _, command := range commands {
		t.Run(strings.Join(command, " "), func(t *testing.T) {
			path, code, out, errOut := runWithRequestFile(t, command, "not json\n")
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, path+": invalid request") {
				t.Errorf("stderr does not name the file %s:\n%s", path, errOut)
			}
			if !strings.Contains(errOut, "$: must be a JSON object or YAML mapping") {
				t.Errorf("stderr does not say what the file must contain:\n%s", errOut)
			}
			if n := strings.Count(errOut, "\n  $"); n != 1 {
				t.Errorf("stderr has %d field errors, want 1:\n%s", n, errOut)
			}
			if strings.Contains(errOut, "Go value") {
				t.Errorf("stderr names a Go type:\n%s", errOut)
			}
		})
	}
}

func TestAPIInputRequestNotObject(t *testing.T) {
	for _, machine := range []string{provisionMachine, teardownMachine} {
		t.Run(machine, func(t *testing.T) {
			input := json.RawMessage(`{"request": "not json"}`)

			_, err := prepareAPIInput(context.Background(), machine, input)
			if err == nil {
				t.Fatal("prepareAPIInput accepted a request that is a string")
			}
			message := err.Error()
			if !strings.Contains(message, "$.request: must be a JSON object of request fields") {
				t.Errorf("error does not say what the request must be: %s", message)
			}
			if strings.Contains(message, "YAML") {
				t.Errorf("error offers YAML in an API input: %s", message)
			}
			if n := strings.Count(message, "$.request"); n != 1 {
				t.Errorf("error has %d field errors, want 1: %s", n, message)
			}
			if strings.Contains(message, "Go value") {
				t.Errorf("error names a Go type: %s", message)
			}
		})
	}
}

func TestInvokeInputNotObject(t *testing.T) {
	tests := []struct {
		name     string
		document string
		want     string
	}{
		{"string", `"not json"`, "is a JSON string, not an object"},
		{"array", `[1, 2]`, "is a JSON array, not an object"},
		{"number", `42`, "is a JSON number, not an object"},
		{"request string", `{"request": "not json"}`, `it needs a "request" object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "input.json")
			if err := os.WriteFile(path, []byte(tt.document), 0o600); err != nil {
				t.Fatal(err)
			}

			_, _, err := readDocument(path)
			if err == nil {
				t.Fatal("readDocument accepted a document that is not a workflow document")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "Go value") {
				t.Errorf("error names a Go type: %s", err)
			}
		})
	}
}

func TestRequestFileNumberOutOfRange(t *testing.T) {
	commands := [][]string{
		{"plan"},
		{"run", "--sandbox"},
		{"preflight"},
		{"teardown", "--sandbox"},
	}
	for _, command := range commands {
		t.Run(strings.Join(command, " "), func(t *testing.T) {
			_, code, _, errOut := runWithRequestFile(t, command, `{"id": 1e400}`)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, "\n  $.id: must be a string\n") {
				t.Errorf("stderr does not name $.id and its type:\n%s", errOut)
			}
			if strings.Contains(errOut, "invalid JSON") {
				t.Errorf("stderr calls the JSON invalid:\n%s", errOut)
			}
			if strings.Contains(errOut, "float64") {
				t.Errorf("stderr names a Go type:\n%s", errOut)
			}
		})
	}
}

func TestRequestFileJSONSyntaxError(t *testing.T) {
	for _, command := range [][]string{{"run", "--sandbox"}, {"plan"}, {"teardown", "--sandbox"}} {
		t.Run(strings.Join(command, " "), func(t *testing.T) {
			path, code, _, errOut := runWithRequestFile(t, command, "[\n")
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, path+": invalid request") {
				t.Errorf("stderr does not name the file %s:\n%s", path, errOut)
			}
			if !strings.Contains(errOut, "$: invalid JSON: ") {
				t.Errorf("stderr does not report a JSON syntax error:\n%s", errOut)
			}
			if strings.Contains(errOut, "YAML") {
				t.Errorf("stderr speaks of YAML for a .json file:\n%s", errOut)
			}
		})
	}
}
