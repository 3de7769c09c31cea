package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeAzureExample writes the Azure example of the named file with the ID
// id and the location to a temp file.
func writeAzureExample(t *testing.T, example, id, location string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../examples", example))
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
// the subscription lists but in which the sandbox creates no resource, so
// that it passes preflight and fails the first building step, which a
// redrive repeats. The request has azure.proxy none, because preflight
// rejects a proxy VM in such a location when it lists the location's VM
// sizes. Then it runs the request with another location. run, plan and
// POST /v1/requests reject it with advice to tear down first and no
// redrive.
func TestChangedRequestOmitsFailingRedrive(t *testing.T) {
	dir := t.TempDir()
	failing := writeAzureExample(t, "azure-privatelink-no-proxy.json", "AZ-9", "germanynorth")
	changed := writeAzureExample(t, "azure-privatelink-no-proxy.json", "AZ-9", "eastus2")

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, failing)
	if !strings.Contains(out, "status:           FAILED") || !strings.Contains(out, "a redrive fails the same way") {
		t.Fatalf("run in germanynorth exit %d, want FAILED with a redrive that fails the same way\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
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
	up := startUp(t, dir, "--sandbox-latency", "none", "--sandbox-hosts", "pypi.internal.example.com")
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

// TestStatusOfSupersededTeardown checks the next action of a failed
// teardown after which a later run of its request started, which redrive
// rejects: status names the latest execution and advises no redrive.
func TestStatusOfSupersededTeardown(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, nil)
	for i := 0; i < 2; i++ {
		if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
			t.Fatalf("run %d exit %d\nstdout:\n%s\nstderr:\n%s", i+1, code, out, errOut)
		}
	}
	faults := filepath.Join(t.TempDir(), "faults.json")
	rules := `{"rules":[{"cloud":"aws","match":"DeleteLoadBalancer","kind":"reject","times":0}]}`
	if err := os.WriteFile(faults, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REPOLINK_SANDBOX_FAULTS", faults)
	_, out, _ := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711-r2")
	if !strings.Contains(out, "status:           FAILED") {
		t.Fatalf("teardown with a rejected DeleteLoadBalancer did not fail:\n%s", out)
	}
	t.Setenv("REPOLINK_SANDBOX_FAULTS", "")

	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run 3 exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	_, out, errOut := runCLI(t, "status", "--state-dir", dir, "DATA-4711-r2-teardown")
	if strings.Contains(out, "repolink redrive") {
		t.Errorf("status after a later run advises a redrive, which is rejected:\n%s", out)
	}
	want := "execution DATA-4711-r3 of request DATA-4711 started after this teardown and is SUCCEEDED, " +
		"so DATA-4711-r2-teardown cannot be redriven"
	if !strings.Contains(out, want) {
		t.Errorf("status lacks %q\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
	}
	if want := "'repolink status --state-dir " + dir + " DATA-4711-r3' shows it"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711-r3"); code != exitOK {
		t.Fatalf("teardown of DATA-4711-r3 exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	_, out, _ = runCLI(t, "status", "--state-dir", dir, "DATA-4711-r2-teardown")
	if strings.Contains(out, "repolink redrive") {
		t.Errorf("status after a later teardown advises a redrive, which is rejected:\n%s", out)
	}
	if want := "the latest execution of the request is teardown DATA-4711-r3-teardown (SUCCEEDED)"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}
	code, _, errOut := runCLI(t, "redrive", "--sandbox", "--state-dir", dir, "DATA-4711-r2-teardown")
	if code != exitInvalid {
		t.Errorf("redrive of the superseded teardown exit %d, want %d: %s", code, exitInvalid, errOut)
	}
}
