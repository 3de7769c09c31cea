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

func TestInvokeTopLevelFields(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fields string
		want   string
	}{
		{"unknown field", `"extra": 1`, "$.extra: unknown field"},
		{"execution object", `"execution": {"name": "zz"}`, "$.execution: must be a string"},
		{"token number", `"token": 5`, "$.token: must be a string"},
		{"state machine array", `"state_machine": []`, "$.state_machine: must be a string"},
		{"redrive count negative", `"redrive_count": -1`, "$.redrive_count: must be an integer of 0 or more"},
		{"redrive count fraction", `"redrive_count": 1.5`, "$.redrive_count: must be an integer of 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "input.json")
			document := `{"request": ` + string(requestJSON) + `, "resources": {}, ` + tt.fields + `}`
			if err := os.WriteFile(path, []byte(document), 0o600); err != nil {
				t.Fatal(err)
			}

			_, _, err := readDocument(path)
			if err == nil {
				t.Fatal("readDocument accepted the document")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "is not a workflow document") {
				t.Errorf("error %q reports that the document has no request object", err)
			}
		})
	}
}

func TestInvokeAcceptsTaskInputFields(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "input.json")
	document := `{"request": ` + string(requestJSON) + `, "resources": {}, "execution": "DATA-1", "token": "t",` +
		` "state_machine": "arn:aws:states:us-east-1:123456789012:stateMachine:provision", "redrive_count": 2}`
	if err := os.WriteFile(path, []byte(document), 0o600); err != nil {
		t.Fatal(err)
	}

	_, doc, err := readDocument(path)
	if err != nil {
		t.Fatalf("readDocument: %v", err)
	}
	if doc.Execution != "DATA-1" {
		t.Errorf("execution = %q, want DATA-1", doc.Execution)
	}
}

// TestInvokeServiceHandler checks that invoke rejects each service handler
// of the AWS functions as not a step and names what repolink up does instead.
func TestInvokeServiceHandler(t *testing.T) {
	tests := []struct {
		handler string
		up      string
	}{
		{"poller", "runs the poller"},
		{"webhook", "serves the webhook at POST /v1/requests"},
		{"notifier", "sends the notification of each closed execution"},
		{"operations", "serves the operations API at GET /v1/executions"},
	}
	for _, tt := range tests {
		t.Run(tt.handler, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errOut := runCLI(t, "invoke", tt.handler, "--sandbox", "--state-dir", filepath.Join(dir, "state"),
				"--input", filepath.Join(dir, "absent.json"))
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.handler+" is a service handler, not a step") {
				t.Errorf("stderr does not say that %s is no step:\n%s", tt.handler, errOut)
			}
			if want := "Run repolink up instead, which " + tt.up; !strings.Contains(errOut, want) {
				t.Errorf("stderr does not contain %q:\n%s", want, errOut)
			}
			if strings.Contains(errOut, "unknown step") {
				t.Errorf("stderr calls %s an unknown step:\n%s", tt.handler, errOut)
			}
		})
	}
}
