package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeAzureRequest writes the Azure example with the ID id and the
// location to a temp file.
func writeAzureRequest(t *testing.T, id, location string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/azure-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["id"] = id
	section(doc, "azure")["location"] = location
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestChangedRequestOmitsFailingRedrive runs a request whose azure.location
// the sandbox rejects, which a redrive repeats, and then the request with
// another location. run, plan and POST /v1/requests reject it with advice
// to tear down first and no redrive.
func TestChangedRequestOmitsFailingRedrive(t *testing.T) {
	dir := t.TempDir()
	failing := writeAzureRequest(t, "AZ-9", "westmars")
	changed := writeAzureRequest(t, "AZ-9", "eastus2")

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, failing)
	if !strings.Contains(out, "status:           FAILED") || !strings.Contains(out, "a redrive fails the same way") {
		t.Fatalf("run in westmars exit %d, want FAILED with a redrive that fails the same way\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	wantTeardown := "A redrive of AZ-9 fails the same way, so tear down the earlier run first with " +
		"'repolink teardown --sandbox --state-dir " + dir + " AZ-9'"
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, changed)
	if code != exitInvalid {
		t.Errorf("run of the changed request exit %d, want %d", code, exitInvalid)
	}
	if strings.Contains(errOut, "repolink redrive") {
		t.Errorf("run rejection advises a redrive that fails the same way:\n%s", errOut)
	}
	if !strings.Contains(errOut, wantTeardown) {
		t.Errorf("run rejection lacks %q:\n%s", wantTeardown, errOut)
	}

	_, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, changed)
	if !strings.Contains(out, "a run would be rejected") {
		t.Fatalf("plan does not report the rejection\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if strings.Contains(out, "repolink redrive") {
		t.Errorf("plan advises a redrive that fails the same way:\n%s", out)
	}
	if !strings.Contains(out, "A redrive of AZ-9 fails the same way") {
		t.Errorf("plan does not say why it leaves the redrive out:\n%s", out)
	}

	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, dir, "--sandbox-latency", "none")
	body, err := os.ReadFile(changed)
	if err != nil {
		t.Fatal(err)
	}
	status, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
	if status != http.StatusConflict {
		t.Fatalf("POST of the changed request = %d %+v, want 409", status, resp)
	}
	if strings.Contains(resp.Error, "repolink redrive") {
		t.Errorf("409 error advises a redrive that fails the same way: %s", resp.Error)
	}
	if !strings.Contains(resp.Error, "A redrive of AZ-9 fails the same way") {
		t.Errorf("409 error does not say why it leaves the redrive out: %s", resp.Error)
	}
}
