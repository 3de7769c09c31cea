package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDocumentNeedsOnlyRequest(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	if _, _, err := readDocument(write("request-only.json", `{"request": `+string(requestJSON)+`}`)); err != nil {
		t.Errorf("document with only a request: %v", err)
	}

	_, _, err = readDocument(write("resources-only.json", `{"resources": {}}`))
	if err == nil {
		t.Fatal("document without a request accepted")
	}
	if !strings.Contains(err.Error(), `it needs a "request" object and may have a "resources" object`) {
		t.Errorf("error %q does not say that only request is required", err)
	}
}

func TestInvokeResourcesOfWrongType(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		resources string
		want      string
	}{
		{"resource number", `{"proxy_vm": 5}`, "$.resources.proxy_vm: must be an object"},
		{"id number", `{"proxy_vm": {"id": 5}}`, "$.resources.proxy_vm.id: must be a string"},
		{"array", `[]`, "$.resources: must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "input.json")
			document := `{"request": ` + string(requestJSON) + `, "resources": ` + tt.resources + `}`
			if err := os.WriteFile(input, []byte(document), 0o600); err != nil {
				t.Fatal(err)
			}

			code, out, errOut := runCLI(t, "invoke", "preflight", "--sandbox", "--state-dir", filepath.Join(dir, "state"), "--input", input)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, errOut)
			}
			if strings.Contains(errOut, "Go struct") || strings.Contains(errOut, "workflow.") {
				t.Errorf("stderr names a Go type:\n%s", errOut)
			}
		})
	}
}

// TestInvokeNamesFieldsUnderRequest checks that a field error of the
// request in --input carries the path within the workflow document, as
// StartExecution reports it for the same input.
func TestInvokeNamesFieldsUnderRequest(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:REPOLINK_TEST_UNSET_PASSWORD"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		document string
		want     string
		old      string
	}{
		{"empty request", `{"request": {}}`, "\n  $.request.id: ", "\n  $.id"},
		{"unset reference", `{"request": ` + string(requestJSON) + `}`,
			"\n  $.request.repository.auth.password_ref: ", "\n  $.repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "input.json")
			if err := os.WriteFile(input, []byte(tt.document), 0o600); err != nil {
				t.Fatal(err)
			}

			code, out, errOut := runCLI(t, "invoke", "secret", "--sandbox", "--state-dir", filepath.Join(dir, "state"), "--input", input)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, errOut)
			}
			if strings.Contains(errOut, tt.old) {
				t.Errorf("stderr names a field without $.request:\n%s", errOut)
			}
		})
	}
}
